"""``bvte tips list / show / status``: decrypting on the officer's machine and writing status back."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from functions.commands import main
from functions.keys import DEV_PASSPHRASE


pytestmark = pytest.mark.usefixtures("dev_keys")


def passphrase_file(folder, text: str) -> str:
    """The passphrase in a file, named by BVTE_PASSPHRASE_FILE: never the passphrase itself in the environment."""
    path = folder / f"pass-{abs(hash(text))}"
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def env(config, tmp_path):
    return {"BVTE_DATA_DIR": str(config.data_dir), "BVTE_PASSPHRASE_FILE": passphrase_file(tmp_path, DEV_PASSPHRASE),
            "BVTE_PASSPHRASE": None, "BVTE_PRIVATE_KEY": None}


def _photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 1.0)}
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def two_tips(client):
    first = client.post("/api/tips", json={"description": "Bé trai khoảng 8 tuổi phải đi làm thuê ở lò gạch",
                                           "category": "lao-dong", "commune": "Ngối Cáy", "urgent": True,
                                           "reporter_name": "Lường Văn Thắng", "reporter_phone": "0912345678",
                                           "submission_id": "cli-test-000000000001"})
    second = client.post("/api/tips", content_type="multipart/form-data", headers={"Accept": "application/json"}, data={
        "description": "Có người lạ hay cho trẻ con tiền rồi rủ đi chơi xa", "category": "mua-ban", "commune": "khong-ro",
        "submission_id": "cli-test-000000000002", "attachments": [(io.BytesIO(_photo()), "x.jpg")]})
    assert first.status_code == second.status_code == 201
    return first.get_json()["receipt"], second.get_json()["receipt"]


def _ids(runner, env):
    result = runner.invoke(main, ["tips", "list"], env=env)
    assert result.exit_code == 0, result.output
    return result, [line.split()[2] for line in result.output.splitlines()[1:-1]]


def test_list_decrypts_and_shows_time_category_commune_urgency_status(runner, env, two_tips):
    result, ids = _ids(runner, env)
    assert len(ids) == 2
    assert "Bắt trẻ làm việc nặng" in result.output and "Mua bán" in result.output
    assert "na-tau" in result.output and "khong-ro" in result.output
    assert "GẤP" in result.output and result.output.count("Đã tiếp nhận") == 2
    assert "2 tin báo." in result.output
    assert "Lường Văn Thắng" not in result.output  # the list shows no reporter


def test_show_prints_the_full_report_and_saves_attachments(runner, env, two_tips, tmp_path):
    _, ids = _ids(runner, env)
    shown = {}
    for tip in ids:
        result = runner.invoke(main, ["tips", "show", tip, "--save-attachments", str(tmp_path / "tep")], env=env)
        assert result.exit_code == 0, result.output
        shown[tip] = result.output
    text = "\n".join(shown.values())
    assert "Lường Văn Thắng" in text and "0912345678" in text and "lò gạch" in text
    saved = list((tmp_path / "tep").iterdir())
    assert len(saved) == 1 and saved[0].name.endswith("tep-1.jpg")
    assert not Image.open(saved[0]).getexif().get_ifd(0x8825)


def test_status_writes_an_event_the_reporter_sees_with_the_receipt(runner, env, two_tips, client):
    first_receipt, _ = two_tips
    _, ids = _ids(runner, env)
    for tip in ids:
        shown = runner.invoke(main, ["tips", "show", tip], env=env).output
        if "lò gạch" in shown:
            break
    result = runner.invoke(main, ["tips", "status", tip, "verifying", "--message", "Chúng tôi đã nhận và đang xác minh."], env=env)
    assert result.exit_code == 0, result.output
    assert "Đang xác minh" in result.output
    answer = client.post("/api/tips/status", json={"receipt": first_receipt}).get_json()
    assert answer["status_label"] == "Đang xác minh"
    assert answer["messages"][0]["text"] == "Chúng tôi đã nhận và đang xác minh."
    listed, _ = _ids(runner, env)
    assert "Đang xác minh" in listed.output
    bad = runner.invoke(main, ["tips", "status", tip, "lam-xong"], env=env)
    assert bad.exit_code != 0


def test_wrong_passphrase_and_unknown_tip_are_clear_errors(runner, env, two_tips, tmp_path):
    wrong = runner.invoke(main, ["tips", "list"], env={**env, "BVTE_PASSPHRASE_FILE": passphrase_file(tmp_path, "sai mat khau")})
    assert wrong.exit_code != 0 and "Mật khẩu không đúng" in wrong.output
    missing = runner.invoke(main, ["tips", "show", "ffffffffff"], env=env)
    assert missing.exit_code != 0 and "Không có tin báo" in missing.output


def test_passphrase_is_asked_when_not_in_the_environment(runner, env, two_tips):
    result = runner.invoke(main, ["tips", "list"], env={**env, "BVTE_PASSPHRASE_FILE": None}, input=DEV_PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert "2 tin báo." in result.output
