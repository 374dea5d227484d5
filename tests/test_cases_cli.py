"""``bvte office|officers|cases|audit``: the officers' command line for case records, end to end.

A root made with ``office init`` (and restored from its paper backup), two officers of different communes,
reports stored through the HTTP API, and every officer action through click's CliRunner. Passphrases come
from files named by ``BVTE_*_PASSPHRASE_FILE``; test keys use Argon2id's "interactive" level.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from cli_office import PASSPHRASE, Office
from conftest import strong_id

from functions.commands import main
from functions.config import Config
from functions.core import cases, office_keys
from functions.keys import DEV_PASSPHRASE, ROOT_PUBLIC_NAME, keys_dir

NOTE_MARKER = "GHI-CHU-NOI-BO-5c1e"


def paper_lines(output: str) -> list[str]:
    return re.findall(r"^\s+\d\.\s+(\S{4}-\S{4})$", output, flags=re.MULTILINE)


def post_report(client, commune: str, submission: str, description: str = "Em bé bị bỏ đói nhiều ngày",
                **extra) -> str:
    """Send a report whose submission id is made from ``submission`` (``strong_id``: the same name, the same
    report); its receipt."""
    answer = client.post("/api/tips", json={"description": description, "category": "bao-luc", "commune": commune,
                                            "submission_id": strong_id(submission), **extra})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["receipt"]


def status_of(client, receipt: str) -> dict:
    return client.post("/api/tips/status", json={"receipt": receipt}).get_json()


# -- the root -----------------------------------------------------------------------------------------------

def test_init_prints_the_paper_backup_once_and_restore_rebuilds_the_same_key(runner, config, tmp_path):
    office = Office(runner, config, tmp_path)
    result = office.init()
    public_file = keys_dir(config) / ROOT_PUBLIC_NAME
    public = public_file.read_text().strip()
    lines = paper_lines(result.output)
    assert len(lines) == 8 and "tủ an toàn" in result.output and "MỘT lần" in result.output
    assert f"BVTE_OFFICE_PUBLIC_KEY={public}" in result.output
    assert stat.S_IMODE(os.stat(office.root_key).st_mode) == 0o600
    assert PASSPHRASE not in office.root_key.read_text()
    root = office_keys.unlock(office.root_key.read_bytes(), PASSPHRASE)
    assert office_keys.verify_key_text(root.verify_key) == public
    assert office_keys.paper_backup(root.seed) == lines

    again = office.run("office", "init", "--root-key", str(tmp_path / "khac.key"), "--kdf", "interactive", ok=False)
    assert again.exit_code != 0 and "office restore" in again.output
    assert public_file.read_text().strip() == public and not (tmp_path / "khac.key").exists()

    restored = tmp_path / "usb" / "office-root.key"
    typo = lines[:2] + [lines[2][:-1] + ("A" if lines[2][-1] != "A" else "B")] + lines[3:]
    bad = office.run("office", "restore", "--root-key", str(restored), "--kdf", "interactive",
                     input="\n".join(typo) + "\n", ok=False)
    assert bad.exit_code != 0 and "Dòng 3" in bad.output and not restored.exists()
    new_passphrase = tmp_path / "new-passphrase.txt"
    new_passphrase.write_text("mot mat khau moi sau khi mat USB\n")
    good = office.run("office", "restore", "--root-key", str(restored), "--kdf", "interactive",
                      input="\n".join(line.lower().replace("-", " ") for line in lines) + "\n",
                      BVTE_NEW_PASSPHRASE_FILE=str(new_passphrase))
    assert "Khớp với khóa công khai" in good.output and "KHÁC" not in good.output
    assert stat.S_IMODE(os.stat(restored).st_mode) == 0o600
    rebuilt = office_keys.unlock(restored.read_bytes(), "mot mat khau moi sau khi mat USB")
    assert office_keys.verify_key_text(rebuilt.verify_key) == public

    never_overwritten = office.run("office", "restore", "--root-key", str(restored), input="\n".join(lines) + "\n",
                                   ok=False)
    assert never_overwritten.exit_code != 0 and "không ghi đè" in never_overwritten.output
    other = office_keys.paper_backup(office_keys.Identity.generate().seed)
    warned = office.run("office", "restore", "--root-key", str(tmp_path / "other.key"), "--kdf", "interactive",
                        input="\n".join(other) + "\n")
    assert "KHÁC với khóa công khai" in warned.output


def test_init_asks_the_new_passphrase_twice_when_no_file_is_named(runner, config, tmp_path):
    office = Office(runner, config, tmp_path)
    result = office.run("office", "init", "--root-key", str(office.root_key), "--kdf", "interactive",
                        input="qua ngan\nqua ngan\n", BVTE_NEW_PASSPHRASE_FILE=None, ok=False)
    assert result.exit_code != 0 and "ít nhất" in result.output and not office.root_key.exists()
    result = office.run("office", "init", "--root-key", str(office.root_key), "--kdf", "interactive",
                        input=f"{PASSPHRASE}\n{PASSPHRASE}\n", BVTE_NEW_PASSPHRASE_FILE=None)
    assert "Nhập lại" in result.output
    office_keys.unlock(office.root_key.read_bytes(), PASSPHRASE)


# -- officers -------------------------------------------------------------------------------------------------

def test_officers_are_added_with_their_own_key_and_listed_from_the_signed_keyring(office):
    listed = office.run("officers", "list", BVTE_PASSPHRASE_FILE=None, BVTE_ROOT_PASSPHRASE_FILE=None)  # no key
    assert "can-bo-lan" in listed.output and "xã Mường Ảng" in listed.output
    assert "can-bo-minh" in listed.output and "xã Búng Lao" in listed.output and "phiên bản 2" in listed.output
    assert stat.S_IMODE(os.stat(office.key("can-bo-lan")).st_mode) == 0o600
    lan = office_keys.unlock(office.key("can-bo-lan").read_bytes(), PASSPHRASE)
    root_public = office_keys.verify_key_from_text((keys_dir(office.config) / ROOT_PUBLIC_NAME).read_text())
    from functions.storage import open_storage

    keyring = office_keys.current_keyring(open_storage(office.config), root_public)
    assert bytes(keyring.officer("can-bo-lan").verify_key) == bytes(lan.verify_key)
    assert keyring.officer("can-bo-minh").communes == ("bung-lao",)

    unknown = office.run("officers", "add", "can-bo-hoa", "--name", "Hoa", "--communes", "xa-khong-co",
                         "--key", str(office.key("can-bo-hoa")), "--root-key", str(office.root_key), ok=False)
    assert unknown.exit_code != 0 and "xa-khong-co" in unknown.output and not office.key("can-bo-hoa").exists()
    twice = office.run("officers", "add", "can-bo-lan", "--name", "Lan", "--all",
                       "--key", str(office.key("lan-2")), "--root-key", str(office.root_key), ok=False)
    assert twice.exit_code != 0 and "Đã có cán bộ" in twice.output
    reserved = office.run("officers", "add", "root", "--name", "Gốc", "--all",
                          "--key", str(office.key("root")), "--root-key", str(office.root_key), ok=False)
    assert reserved.exit_code != 0 and not office.key("root").exists()
    wrong_root = office.folder / "wrong.txt"
    wrong_root.write_text("khong phai mat khau nay\n")
    refused = office.run("officers", "add", "can-bo-hoa", "--name", "Hoa", "--all", "--key",
                         str(office.key("can-bo-hoa")), "--root-key", str(office.root_key),
                         BVTE_ROOT_PASSPHRASE_FILE=str(wrong_root), ok=False)
    assert refused.exit_code != 0 and "Mật khẩu không đúng" in refused.output
    assert not office.key("can-bo-hoa").exists()  # nothing left behind by a wrong root passphrase


# -- cases ---------------------------------------------------------------------------------------------------

def test_a_report_is_listed_with_its_case_number_for_the_officer_of_its_commune_only(office, client):
    post_report(client, "Ẳng Tở", "cases-cli-000000000001", urgent=True)
    rows = office.listed("can-bo-minh")
    assert len(rows) == 1
    row = rows[0]
    assert re.fullmatch(r"\d{4}-0001", row["case_number"])
    assert row["commune_label"] == "xã Búng Lao (người báo ghi: Ẳng Tở)"
    assert row["category_label"] == "Bạo lực, đánh đập, ngược đãi"
    assert row["urgent"] is True and row["public_status"] == "received" and row["unread"] is True
    text = office.as_officer("can-bo-minh", "list").output
    assert row["case_number"] in text and "xã Búng Lao (người báo ghi: Ẳng Tở)" in text and "GẤP" in text
    assert "chưa đọc" in text and "bỏ đói" not in text  # the list shows no description
    assert office.listed("can-bo-lan") == []
    assert "Chưa có hồ sơ" in office.as_officer("can-bo-lan", "list").output
    opened = office.as_officer("can-bo-lan", "show", row["case_number"], ok=False)
    assert opened.exit_code != 0 and "không được chia sẻ" in opened.output

    shown = office.as_officer("can-bo-minh", "show", row["case_number"]).output
    assert "bỏ đói" in shown and "xã Búng Lao (người báo ghi: Ẳng Tở)" in shown
    assert office.listed("can-bo-minh")[0]["unread"] is False


def test_commune_typed_as_todays_name_is_not_repeated(office, client):
    post_report(client, "Búng Lao", "cases-cli-000000000011")
    assert office.listed("can-bo-minh")[0]["commune_label"] == "xã Búng Lao"


def test_a_number_taken_by_a_failed_write_is_listed_as_a_gap(office, client, storage):
    post_report(client, "Búng Lao", "cases-cli-000000000021")
    number = office.listed("can-bo-minh")[0]["case_number"]
    year = number.split("-")[0]
    storage.increment(f"case-numbers/{year}")  # what a write that failed after taking its number leaves
    post_report(client, "Búng Lao", "cases-cli-000000000022")
    text = office.as_officer("can-bo-minh", "list").output
    assert f"{year}-0002 — số bị bỏ trống (lần ghi thất bại)" in text
    assert f"{year}-0003" in text and "1 số bị bỏ trống" in text


def test_note_reply_status_and_withdraw_reach_the_reporter_only_when_meant_to(office, client):
    receipt = post_report(client, "bung-lao", "cases-cli-000000000031")
    number = office.listed("can-bo-minh")[0]["case_number"]
    office.as_officer("can-bo-minh", "note", number, "--text", f"Đã gọi trưởng bản {NOTE_MARKER}")
    office.as_officer("can-bo-minh", "reply", number, "--text", "Chúng tôi đã nhận tin và sẽ xác minh.")
    office.as_officer("can-bo-minh", "status", number, "verifying")
    answer = status_of(client, receipt)
    assert answer["status"] == "verifying"
    assert [m["text"] for m in answer["messages"]] == ["Chúng tôi đã nhận tin và sẽ xác minh."]
    html = client.post("/api/tips/status", data={"receipt": receipt}).get_data(as_text=True)
    assert NOTE_MARKER not in json.dumps(answer, ensure_ascii=False) and NOTE_MARKER not in html

    shown = office.as_officer("can-bo-minh", "show", number).output
    assert NOTE_MARKER in shown and "Ghi chú nội bộ" in shown and "Đang xác minh" in shown
    message_id = re.search(r"\[tin nhắn ([0-9a-f]+)\]", shown).group(1)
    office.as_officer("can-bo-minh", "withdraw", number, message_id, "--reason", "Gửi nhầm hồ sơ")
    assert status_of(client, receipt)["messages"] == []
    shown = office.as_officer("can-bo-minh", "show", number).output
    assert "Chúng tôi đã nhận tin và sẽ xác minh." in shown  # the office keeps it
    assert f"Tin nhắn {message_id} đã rút" in shown and "can-bo-minh: Gửi nhầm hồ sơ" in shown
    bad = office.as_officer("can-bo-minh", "status", number, "lam-xong", ok=False)
    assert bad.exit_code != 0
    row = office.listed("can-bo-minh")[0]
    assert row["public_status_label"] == "Đang xác minh" and row["closed"] is False
    office.as_officer("can-bo-minh", "close", number)
    assert office.listed("can-bo-minh")[0]["closed"] is True


def test_show_marks_an_event_edited_by_hand_as_not_verified_and_ignores_it(office, client):
    post_report(client, "bung-lao", "cases-cli-000000000041")
    number = office.listed("can-bo-minh")[0]["case_number"]
    office.as_officer("can-bo-minh", "note", number, "--text", "Ghi chú thật")
    events = list((office.config.data_dir / "store" / "tips").glob("*/case/*.event"))
    assert len(events) == 1
    document = json.loads(events[0].read_text())
    document["kind"] = "close"  # someone with write access to storage tries to close the case
    events[0].chmod(0o600)
    events[0].write_text(json.dumps(document, ensure_ascii=False))
    shown = office.as_officer("can-bo-minh", "show", number).output
    assert "không xác thực" in shown and "chữ ký không hợp lệ" in shown
    assert re.search(r"Hồ sơ:\s+đang mở", shown)
    row = office.listed("can-bo-minh")[0]
    assert row["closed"] is False and row["unverified_events"] == 1
    assert "không xác thực" in office.as_officer("can-bo-minh", "list").output


def test_grant_lets_a_colleague_of_another_commune_open_the_case(office, client):
    post_report(client, "bung-lao", "cases-cli-000000000051")
    number = office.listed("can-bo-minh")[0]["case_number"]
    assert office.as_officer("can-bo-lan", "show", number, ok=False).exit_code != 0
    missing = office.as_officer("can-bo-minh", "grant", number, "can-bo-khong-co", ok=False)
    assert missing.exit_code != 0 and "can-bo-khong-co" in missing.output
    office.as_officer("can-bo-minh", "grant", number, "can-bo-lan")
    shown = office.as_officer("can-bo-lan", "show", number).output
    assert "bỏ đói" in shown and "Chia sẻ hồ sơ: can-bo-lan" in shown
    assert [r["case_number"] for r in office.listed("can-bo-lan")] == [number]
    again = office.as_officer("can-bo-minh", "grant", number, "can-bo-lan", ok=False)
    assert again.exit_code != 0 and "đã mở được" in again.output


def test_a_removed_officer_cannot_open_reports_that_arrive_after(office, config, client):
    from functions.storage import open_storage
    from functions.web import create_app

    post_report(client, "bung-lao", "cases-cli-000000000061")
    before = office.listed("can-bo-minh")[0]["case_number"]
    result = office.run("officers", "remove", "can-bo-minh", "--root-key", str(office.root_key))
    assert "Đã gỡ can-bo-minh" in result.output
    listed = office.run("officers", "list").output
    assert "can-bo-minh" not in listed and "can-bo-lan" in listed
    refused = office.as_officer("can-bo-minh", "list", ok=False)
    assert refused.exit_code != 0 and "đã bị gỡ" in refused.output

    fresh = create_app(config).test_client()  # the running app re-reads the keyring only every 30 s
    post_report(fresh, "bung-lao", "cases-cli-000000000062")
    storage = open_storage(config)
    numbers = cases.case_numbers(storage)
    after = max(numbers, key=lambda n: int(n.split("-")[1]))
    assert after != before
    minh = office_keys.unlock(office.key("can-bo-minh").read_bytes(), PASSPHRASE)
    cases.open_case(storage, numbers[before], minh, "can-bo-minh")  # sealed to them before removal
    with pytest.raises(cases.CaseError):
        cases.open_case(storage, numbers[after], minh, "can-bo-minh")
    root = office_keys.unlock(office.root_key.read_bytes(), PASSPHRASE)
    assert cases.open_case(storage, numbers[after], root, None).fields["commune"] == "bung-lao"
    as_root = json.loads(office.run("cases", "list", "--json", "--key", str(office.root_key)).output)
    assert {r["case_number"] for r in as_root["cases"]} == {before, after}


def test_migrate_rewraps_a_report_of_the_first_format(runner, config, tmp_path, dev_keys, client):
    receipt = post_report(client, "Ngối Cáy", "cases-cli-000000000071", description="Bé trai phải đi làm ở lò gạch")
    office = Office(runner, config, tmp_path)
    office.init()
    office.add("can-bo-lan", "--communes", "na-tau")
    legacy_passphrase = tmp_path / "dev-passphrase.txt"
    legacy_passphrase.write_text(DEV_PASSPHRASE)
    assert "1 tin báo lưu theo cách cũ" in office.as_officer("can-bo-lan", "list").output
    result = office.run("office", "migrate", "--legacy-key", str(dev_keys / "office.key"),
                        "--root-key", str(office.root_key), BVTE_PASSPHRASE_FILE=str(legacy_passphrase))
    number = re.search(r"→ hồ sơ (\d{4}-\d{4})", result.output).group(1)
    assert "Đã chuyển 1/1" in result.output
    shown = office.as_officer("can-bo-lan", "show", number).output
    assert "lò gạch" in shown and "xã Nà Tấu (người báo ghi: Ngối Cáy)" in shown
    office.as_officer("can-bo-lan", "reply", number, "--text", "Đã chuyển hồ sơ, đang xử lý.")
    assert [m["text"] for m in status_of(client, receipt)["messages"]] == ["Đã chuyển hồ sơ, đang xử lý."]
    again = office.run("office", "migrate", "--legacy-key", str(dev_keys / "office.key"),
                       "--root-key", str(office.root_key), BVTE_PASSPHRASE_FILE=str(legacy_passphrase))
    assert "Không còn tin báo nào lưu theo cách cũ" in again.output


def test_audit_verify_passes_then_reports_a_deleted_entry(office, client):
    post_report(client, "bung-lao", "cases-cli-000000000081", description="Nội dung không được vào nhật ký")
    number = office.listed("can-bo-minh")[0]["case_number"]
    office.as_officer("can-bo-minh", "show", number)
    office.as_officer("can-bo-minh", "note", number, "--text", "Ghi chú")
    office.as_officer("can-bo-minh", "grant", number, "can-bo-lan")
    from functions.core import audit
    from functions.storage import open_storage

    entries = audit.entries(open_storage(office.config), "can-bo-minh")
    actions = [(e["action"], e["subject"]) for e in entries]
    assert ("export", "") in actions and ("open_case", number) in actions
    assert ("write_event", number) in actions and ("grant", number) in actions
    assert actions.count(("unlock", "")) == 4
    assert [e["action"] for e in audit.entries(open_storage(office.config), "root")] == \
        ["unlock", "grant", "unlock", "grant"]  # the root added two officers
    log_text = "".join(p.read_text() for p in (office.config.data_dir / "store" / "audit").rglob("*.json"))
    assert "Nội dung" not in log_text and "Ghi chú" not in log_text

    verified = office.run("audit", "verify")
    assert "Nhật ký nguyên vẹn" in verified.output
    (office.config.data_dir / "store" / "audit" / "can-bo-minh" / f"{2:010d}.json").unlink()
    broken = office.run("audit", "verify", ok=False)
    assert broken.exit_code == 1 and "Thiếu mục số 2" in broken.output and "can-bo-minh" in broken.output


def test_a_wrong_passphrase_or_a_foreign_key_is_refused_clearly(office, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("khong phai mat khau nay\n")
    result = office.run("cases", "list", "--key", str(office.key("can-bo-lan")), BVTE_PASSPHRASE_FILE=str(wrong),
                        ok=False)
    assert result.exit_code != 0 and "Mật khẩu không đúng" in result.output
    stranger = tmp_path / "stranger.key"
    stranger.write_bytes(office_keys.protect(office_keys.Identity.generate(), PASSPHRASE, "interactive"))
    result = office.run("cases", "list", "--key", str(stranger), ok=False)
    assert result.exit_code != 0 and "không thuộc cán bộ nào" in result.output
    by_env = office.run("cases", "list", BVTE_KEY=str(office.key("can-bo-lan")))
    assert "Chưa có hồ sơ" in by_env.output


# -- the development office ------------------------------------------------------------------------------

def test_the_development_office_serve_prepares_works_with_the_printed_passphrase(runner, config, tmp_path, client):
    from functions.commands.serve import prepare

    notes = prepare(config)
    assert len(notes) == 1 and "PHÁT TRIỂN" in notes[0] and DEV_PASSPHRASE in notes[0]
    assert "can-bo-phat-trien" in notes[0]
    folder = keys_dir(config)
    assert "PHÁT TRIỂN" in (folder / "VAN-PHONG-PHAT-TRIEN.txt").read_text()
    dev_passphrase = tmp_path / "dev.txt"
    dev_passphrase.write_text(DEV_PASSPHRASE)
    env = {"BVTE_DATA_DIR": str(config.data_dir), "BVTE_PASSPHRASE_FILE": str(dev_passphrase), "BVTE_KEY": None}
    listed = runner.invoke(main, ["officers", "list"], env=env)
    assert "can-bo-phat-trien" in listed.output and "PHÁT TRIỂN" in listed.output and "mọi xã" in listed.output

    post_report(client, "Mường Lạn", "cases-cli-000000000091")
    post_report(client, "khong-ro", "cases-cli-000000000092")
    result = runner.invoke(main, ["cases", "list", "--json"], env=env)  # no --key: the development officer's
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["cases"]) == 2
    assert prepare(config) == []  # once only


def test_no_development_office_beside_a_real_one(runner, config, tmp_path):
    from functions.commands.serve import prepare

    Office(runner, config, tmp_path).init()
    assert prepare(config) == []
    assert not (keys_dir(config) / "VAN-PHONG-PHAT-TRIEN.txt").exists()
    configured = Config(data_dir=tmp_path / "other",
                        office_public_key=office_keys.verify_key_text(office_keys.Identity.generate().verify_key))
    assert prepare(configured) == [] and not keys_dir(configured).exists()


def test_show_reports_two_concurrent_writes_as_a_conflict_keeping_both(office, client):
    from functions.storage import open_storage

    post_report(client, "bung-lao", "cases-cli-000000000101")
    number = office.listed("can-bo-minh")[0]["case_number"]
    storage = open_storage(office.config)
    minh = office_keys.unlock(office.key("can-bo-minh").read_bytes(), PASSPHRASE)
    case = cases.open_case(storage, cases.find_case(storage, number), minh, "can-bo-minh")
    for text in ("Ghi chú từ máy thứ nhất", "Ghi chú từ máy thứ hai"):  # both read the same, empty, history
        cases.write_event(storage, case, "can-bo-minh", minh, "note", {"text": text}, [])
    shown = office.as_officer("can-bo-minh", "show", number).output
    assert "XUNG ĐỘT" in shown and "máy thứ nhất" in shown and "máy thứ hai" in shown
    assert office.listed("can-bo-minh")[0]["conflicts"] == 1


def test_saving_attachments_decrypts_them_and_is_audited(office, client, tmp_path):
    import io

    from PIL import Image

    from functions.core import audit
    from functions.storage import open_storage

    photo = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(photo, "JPEG")
    answer = client.post("/api/tips", content_type="multipart/form-data", headers={"Accept": "application/json"},
                         data={"description": "Ảnh chụp nơi trẻ bị nhốt", "category": "bao-luc", "commune": "bung-lao",
                               "submission_id": "cases-cli-000000000111",
                               "attachments": [(io.BytesIO(photo.getvalue()), "x.jpg")]})
    assert answer.status_code == 201
    number = office.listed("can-bo-minh")[0]["case_number"]
    shown = office.as_officer("can-bo-minh", "show", number, "--save-attachments", str(tmp_path / "tep")).output
    assert "tep-1.jpg (image/jpeg" in shown
    [saved] = (tmp_path / "tep").iterdir()
    assert saved.name == f"{number}-tep-1.jpg" and Image.open(saved).size == (30, 20)
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    actions = [(e["action"], e["subject"]) for e in audit.entries(open_storage(office.config), "can-bo-minh")]
    assert ("save_attachment", number) in actions
    again = office.as_officer("can-bo-minh", "show", number, "--save-attachments", str(tmp_path / "tep"), ok=False)
    assert again.exit_code != 0 and "không ghi đè" in again.output
