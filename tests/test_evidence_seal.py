"""Self-assessment evidence encrypted at rest (functions/core/evidence_seal.py, issue 13): the sealed format
itself (chunks in order, nothing cut off, only the holders' keys), then end to end — evidence sent in the
form and claimed from the local upload endpoint leaves no plaintext byte anywhere in storage (local disk,
the endpoint's waiting file included, and SeaweedFS), the console's review
screen opens it, a resubmission keeps it by reference, and an old clear file opens."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import secrets
from pathlib import Path

import pytest
from conftest import two_commune_office

from functions.config import Config
from functions.core import assessments, evidence_seal, office_keys
from functions.storage import open_storage
from tests.test_assessments import JSON, form

YEAR = dt.date.today().year
MARKER = b"DANH-SACH-TRE-EM-HCDB-" + secrets.token_hex(8).encode()


def pdf_with_marker(padding: int = 0) -> bytes:
    """A PDF whose body carries ``MARKER`` (several times, also across a 1 MiB boundary when padded)."""
    return (b"%PDF-1.4\n% " + MARKER + b"\n" + b"1 0 obj<<>>endobj\n" + (MARKER + b"\n") * (padding // 40)
            + b"trailer<<>>\n%%EOF\n")


def png_with_marker() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 16 + MARKER + b"\x00" * 16


def plaintext_on_disk(folder: Path) -> list[str]:
    """Every file under ``folder`` holding the marker, or a recognisable piece of it."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and (MARKER in path.read_bytes() or MARKER[-16:] in path.read_bytes()):
            found.append(str(path.relative_to(folder)))
    return found



# -- the format -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def holders():
    return two_commune_office(keyring_version=3)


def sealed_file(tmp_path, holders, data: bytes):
    root, _, _, keyring = holders
    storage = open_storage(Config(data_dir=tmp_path / "var", testing=True))
    lock = evidence_seal.lock_for_keyring(root.verify_key, keyring, "muong-ang")
    stream = io.BytesIO(data)
    sha, size, kind = assessments.check_evidence(stream, "a.pdf", max_bytes=10 * 1024 * 1024)
    written: list[str] = []
    assessments.save_evidence(storage, stream, "a.pdf", max_bytes=10 * 1024 * 1024, checked=(sha, size, kind),
                              lock=lock, commune_id="muong-ang", written=written)
    return storage, sha, written


def read_as(storage, sha, identity, officer_id, commune="muong-ang") -> bytes:
    return b"".join(assessments.open_evidence(storage, sha, commune, evidence_seal.holder_name(officer_id),
                                              identity.box_key))


def test_a_multi_chunk_file_opens_for_the_root_and_the_commune_officer_only(tmp_path, holders):
    root, officer, other, _ = holders
    data = pdf_with_marker(padding=2_600_000)
    storage, sha, written = sealed_file(tmp_path, holders, data)
    manifest = json.loads(storage.read(f"assessments/evidence/{sha}/sealed-muong-ang.json"))
    assert manifest["parts"] == 3 and set(manifest["keys"]) == {"root", "officer/can-bo-a"}
    assert manifest["keyring_version"] == 3 and len(written) == 4
    assert MARKER not in b"".join(storage.read(k) for k in written)
    assert read_as(storage, sha, root, None) == data
    assert read_as(storage, sha, officer, "can-bo-a") == data
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage, sha, other, "can-bo-b")
    with pytest.raises(evidence_seal.EvidenceSealError):  # holder name of another key
        read_as(storage, sha, other, "can-bo-a")


def test_parts_swapped_or_cut_off_are_refused(tmp_path, holders):
    root = holders[0]
    storage, sha, written = sealed_file(tmp_path, holders, pdf_with_marker(padding=2_600_000))
    folder = json.loads(storage.read(f"assessments/evidence/{sha}/sealed-muong-ang.json"))["folder"]
    first, second = storage.read(f"{folder}/part-000000"), storage.read(f"{folder}/part-000001")
    storage.delete(f"{folder}/part-000000")
    storage.delete(f"{folder}/part-000001")
    storage.create(f"{folder}/part-000000", second)
    storage.create(f"{folder}/part-000001", first)
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage, sha, root, None)
    # Cut off: a manifest edited to claim fewer parts ends without the final tag.
    storage2, sha2, _ = sealed_file(tmp_path / "two", holders, pdf_with_marker(padding=2_600_000))
    key = f"assessments/evidence/{sha2}/sealed-muong-ang.json"
    manifest = json.loads(storage2.read(key))
    storage2.delete(key)
    storage2.create(key, json.dumps({**manifest, "parts": 2}).encode())
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage2, sha2, root, None)


def test_sealing_again_for_the_same_commune_writes_nothing_and_another_commune_gets_its_own(tmp_path, holders):
    root, _, other, keyring = holders
    storage, sha, _ = sealed_file(tmp_path, holders, pdf_with_marker())
    before = set(storage.list("assessments/"))
    data = pdf_with_marker()
    again: list[str] = []
    lock = evidence_seal.lock_for_keyring(root.verify_key, keyring, "muong-ang")
    assessments.save_evidence(storage, io.BytesIO(data), "b.pdf", max_bytes=10**7, lock=lock,
                              commune_id="muong-ang", written=again)
    assert again == [] and set(storage.list("assessments/")) == before
    lock_b = evidence_seal.lock_for_keyring(root.verify_key, keyring, "bung-lao")
    assessments.save_evidence(storage, io.BytesIO(data), "b.pdf", max_bytes=10**7, lock=lock_b,
                              commune_id="bung-lao")
    assert read_as(storage, sha, other, "can-bo-b", commune="bung-lao") == data


def test_an_old_clear_file_still_opens(tmp_path, holders):
    root = holders[0]
    storage = open_storage(Config(data_dir=tmp_path / "var", testing=True))
    data = pdf_with_marker()
    record = assessments.save_evidence(storage, io.BytesIO(data), "cu.pdf", max_bytes=10**7)
    assert record.key.endswith("/manifest.json")
    assert plaintext_on_disk(tmp_path / "var") != []  # the scan the end-to-end tests rely on finds clear bytes
    assert read_as(storage, record.sha256, root, None) == data


# -- end to end --------------------------------------------------------------------------------------

def post_form(client, code, rubric, **files):
    answer = client.post("/api/assessments", data=form(code, rubric, **files), headers=JSON,
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["assessment"]


def upload_ahead(client, code, data: bytes, name: str, ctype: str) -> str:
    started = client.post("/api/uploads", json={"filename": name, "content_type": ctype, "size": len(data),
                                                "sha256": hashlib.sha256(data).hexdigest(),
                                                "commune": "muong-ang", "access_code": code})
    assert started.status_code == 201, started.get_json()
    answer = started.get_json()
    assert answer["url"] == "/api/uploads/local"
    posted = client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert posted.status_code == 204
    return answer["upload"]


def test_form_and_local_upload_leave_no_plaintext_and_the_console_opens_them(console, client, code, rubric,
                                                                            config):
    big = pdf_with_marker(padding=1_500_000)
    png = png_with_marker()
    ahead = pdf_with_marker(padding=3000) + b"% ahead\n"
    token = upload_ahead(client, code, ahead, "gui-truoc.pdf", "application/pdf")
    first = post_form(client, code, rubric, evidence_tc03=(io.BytesIO(big), "danh-sach.pdf"),
                      evidence=(io.BytesIO(png), "anh.png"), upload_evidence_tc01=token)
    assert plaintext_on_disk(Path(config.data_dir)) == []
    names = {f["filename"]: f for f in first["evidence"]}
    assert names["danh-sach.pdf"]["key"].endswith("/sealed-muong-ang.json")

    console.unlock()
    for data, name in ((big, "danh-sach.pdf"), (png, "anh.png"), (ahead, "gui-truoc.pdf")):
        sha = names[name]["sha256"]
        assert sha == hashlib.sha256(data).hexdigest()
        page = console.get(f"/danh-gia/muong-ang/{YEAR}/tep/{sha}")
        assert page.status_code == 200 and name in page.get_data(as_text=True)
        inline = console.get(f"/danh-gia/muong-ang/{YEAR}/tep/{sha}/noi-dung")
        assert inline.status_code == 200 and inline.get_data() == data

    # Resubmission keeps the big file by reference: nothing is stored again and it still opens.
    before = set(console.session.storage.list("assessments/evidence/"))
    second_form = form(code, rubric, keep_evidence=names["danh-sach.pdf"]["sha256"])
    answer = client.post("/api/assessments", data=second_form, headers=JSON, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    second = answer.get_json()["assessment"]
    assert second["version"] == 2 and [f["filename"] for f in second["evidence"]] == ["danh-sach.pdf"]
    assert set(console.session.storage.list("assessments/evidence/")) == before
    inline = console.get(f"/danh-gia/muong-ang/{YEAR}/tep/{names['danh-sach.pdf']['sha256']}/noi-dung")
    assert inline.status_code == 200 and inline.get_data() == big
    assert plaintext_on_disk(Path(config.data_dir)) == []


def test_a_file_not_sealed_to_this_officer_is_refused_in_the_console(console, client, code, rubric):
    record = post_form(client, code, rubric, evidence=(io.BytesIO(png_with_marker()), "anh.png"))
    [f] = record["evidence"]
    storage = console.session.storage
    manifest = json.loads(storage.read(f["key"]))
    storage.delete(f["key"])
    storage.create(f["key"], json.dumps({**manifest, "keys": {"root": manifest["keys"]["root"]}}).encode())
    console.unlock()
    answer = console.get(f"/danh-gia/muong-ang/{YEAR}/tep/{f['sha256']}/noi-dung")
    assert answer.status_code == 403 and MARKER not in answer.get_data()


def test_no_plaintext_in_the_seaweedfs_bucket(tmp_path, seaweedfs, monkeypatch, rubric):
    from s3_servers import ACCESS_KEY, BUCKET, SECRET_KEY, s3_config

    from functions.core import access_codes
    from functions.keys import DEV_OFFICER_ID, DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
    from functions.web import context, create_app

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    config = s3_config(Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True,
                              secret_key="cd" * 32), seaweedfs)
    assert ensure_dev_office(config) is not None
    app = create_app(config)
    ctx = context(app)
    code, _ = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")
    big = pdf_with_marker(padding=1_200_000)
    record = post_form(app.test_client(), code, rubric, evidence_tc03=(io.BytesIO(big), "danh-sach.pdf"),
                       evidence=(io.BytesIO(png_with_marker()), "anh.png"))

    s3 = seaweedfs.client()
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=config.s3_prefix)
            for o in page.get("Contents", [])]
    assert any("/sealed-muong-ang.json" in k for k in keys)
    leaked = [k for k in keys if MARKER[-16:] in s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()]
    assert leaked == []

    officer = office_keys.unlock(dev_officer_key(config).read_bytes(), DEV_PASSPHRASE)
    sha = next(f["sha256"] for f in record["evidence"] if f["filename"] == "danh-sach.pdf")
    assert b"".join(assessments.open_evidence(ctx.storage, sha, "muong-ang",
                                              evidence_seal.holder_name(DEV_OFFICER_ID), officer.box_key)) == big


def test_the_assessment_function_knows_the_office_root_and_may_read_the_keyring():
    """On Lambda the evidence is sealed to the keyring's officers: the function needs the root's public key
    and the keyring (reading it, never writing it)."""
    from samtranslator.yaml_helper import yaml_parse

    from functions.config import REPO_ROOT

    props = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))["Resources"][
        "AssessmentsFunction"]["Properties"]
    assert props["Environment"]["Variables"]["BVTE_OFFICE_PUBLIC_KEY"] == {"Ref": "OfficeRootPublicKey"}
    statements = props["Policies"][0]["Statement"]
    reads = next(s for s in statements if s["Sid"] == "AccessCodesAndClaimedUploads")
    assert reads["Action"] == "s3:GetObject"
    assert {"Fn::Sub": "${DataBucket.Arn}/${DataPrefix}keyring/*"} in reads["Resource"]
    listed = next(s for s in statements if s["Sid"] == "List")["Condition"]["StringLike"]["s3:prefix"]
    assert {"Fn::Sub": "${DataPrefix}keyring/*"} in listed
    writable = json.dumps([s["Resource"] for s in statements if "s3:PutObject" in json.dumps(s["Action"])])
    assert "keyring" not in writable


def test_bvte_seal_evidence_encrypts_old_clear_files_for_each_commune_and_removes_them(config, client, code, rubric):
    """Evidence sent before the office had keys is clear; `bvte assessments seal-evidence` (public keys only)
    seals it for every commune naming it, deletes the clear copy, and the console's officer opens it."""
    from click.testing import CliRunner

    from functions.commands import main
    from functions.keys import DEV_OFFICER_ID, DEV_PASSPHRASE, dev_officer_key, ensure_dev_office
    from functions.web import context

    data = pdf_with_marker(padding=1_100_000)
    record = post_form(client, code, rubric, evidence_tc03=(io.BytesIO(data), "danh-sach.pdf"))
    folder = Path(config.data_dir)
    assert plaintext_on_disk(folder) != []  # no key at all yet: stored in the clear, the first format

    assert ensure_dev_office(config) is not None
    runner = CliRunner()
    env = {"BVTE_DATA_DIR": str(config.data_dir)}
    result = runner.invoke(main, ["assessments", "seal-evidence"], env=env)
    assert result.exit_code == 0, result.output
    assert "Đã mã hóa 1 bản cho các xã; đã xóa 1 tệp dạng rõ." in result.output
    assert plaintext_on_disk(folder) == []
    again = runner.invoke(main, ["assessments", "seal-evidence"], env=env)
    assert again.exit_code == 0 and "Đã mã hóa 0 bản cho các xã; đã xóa 0 tệp dạng rõ." in again.output

    officer = office_keys.unlock(dev_officer_key(config).read_bytes(), DEV_PASSPHRASE)
    sha = record["evidence"][0]["sha256"]
    storage = context(client.application).storage
    assert not storage.exists(f"assessments/evidence/{sha}/manifest.json")
    assert b"".join(assessments.open_evidence(storage, sha, "muong-ang", evidence_seal.holder_name(DEV_OFFICER_ID),
                                              officer.box_key)) == data


# -- officers added after a file was sealed ------------------------------------------------------------

def _manifest(storage, sha: str) -> dict:
    return evidence_seal.read_manifest(storage, assessments.EVIDENCE_PREFIX, sha, "muong-ang")


def test_a_file_is_shared_with_an_officer_added_later_and_a_planted_key_is_never_passed_on(tmp_path, holders):
    root, officer, other, _ = holders
    data = pdf_with_marker(padding=1_200_000)
    storage, sha, _ = sealed_file(tmp_path, holders, data)
    newcomer, intruder = office_keys.Identity.generate(), office_keys.Identity.generate()
    with pytest.raises(evidence_seal.EvidenceSealError):  # sealed before the newcomer joined
        read_as(storage, sha, newcomer, "can-bo-c")
    recipients = {"officer/can-bo-c": office_keys.box_public_key(newcomer.verify_key)}

    with pytest.raises(evidence_seal.EvidenceSealError):  # a key the file was not sealed to shares nothing
        evidence_seal.share_with(storage, _manifest(storage, sha), "officer/can-bo-b", other.box_key, recipients)
    assert evidence_seal.share_with(storage, _manifest(storage, sha), "officer/can-bo-a", officer.box_key,
                                    recipients) == ["officer/can-bo-c"]
    assert read_as(storage, sha, newcomer, "can-bo-c") == data
    assert evidence_seal.share_with(storage, _manifest(storage, sha), "root", root.box_key, recipients) == []
    added = storage.read(evidence_seal.added_key_path(_manifest(storage, sha), "officer/can-bo-c"))
    assert MARKER not in added and set(json.loads(added)) == {"holder", "key"}

    # Someone with write access to the storage plants a random content key for a holder: that holder cannot
    # open the file with it, and sharing from it is refused (the key does not open the file's facts).
    planted = office_keys.box_public_key(intruder.verify_key)
    storage.create(evidence_seal.added_key_path(_manifest(storage, sha), "officer/can-bo-d"), json.dumps(
        {"holder": "officer/can-bo-d", "key": evidence_seal._b64(evidence_seal.SealedBox(planted).encrypt(
            secrets.token_bytes(32)))}).encode())
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage, sha, intruder, "can-bo-d")
    with pytest.raises(evidence_seal.EvidenceSealError):
        evidence_seal.share_with(storage, _manifest(storage, sha), "officer/can-bo-d", intruder.box_key,
                                 {"officer/can-bo-e": office_keys.box_public_key(other.verify_key)})
    assert not storage.exists(evidence_seal.added_key_path(_manifest(storage, sha), "officer/can-bo-e"))


def test_bvte_share_evidence_lets_a_new_officer_open_what_was_sealed_before(runner, config, client, code, rubric,
                                                                            tmp_path):
    from functions.core import audit
    from functions.web import context
    from tests.test_cases_cli import PASSPHRASE, Office

    office = Office(runner, config, tmp_path)
    office.init()
    office.add("can-bo-lan", "--communes", "muong-ang")
    office.add("can-bo-minh", "--communes", "bung-lao")
    data = pdf_with_marker(padding=300_000)
    sha = post_form(client, code, rubric, evidence_tc03=(io.BytesIO(data), "danh-sach.pdf"))["evidence"][0]["sha256"]
    office.add("can-bo-moi", "--communes", "muong-ang")
    storage = context(client.application).storage
    newcomer = office_keys.unlock(office.key("can-bo-moi").read_bytes(), PASSPHRASE)
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage, sha, newcomer, "can-bo-moi")

    share = ("assessments", "share-evidence", "--key")
    refused = office.run(*share, str(office.key("can-bo-minh"))).output  # another commune's officer
    assert "Đã niêm phong thêm 0 khóa cho 0 tệp minh chứng. 1 tệp khóa can-bo-minh không mở được" in refused
    assert "Đã niêm phong thêm 1 khóa cho 1 tệp minh chứng." in office.run(*share, str(office.key("can-bo-lan"))).output
    assert read_as(storage, sha, newcomer, "can-bo-moi") == data
    assert audit.entries(storage, "can-bo-lan")[-1]["action"] == "share_evidence"
    again = office.run(*share, str(office.key("can-bo-lan"))).output
    assert "Đã niêm phong thêm 0 khóa cho 0 tệp minh chứng." in again and "không mở được" not in again


def test_migrate_opens_evidence_sealed_to_the_old_single_office_key_for_the_root_and_officers(
        runner, config, client, code, rubric, tmp_path, dev_keys):
    """An office that started with one shared key (`bvte keys generate`): evidence was sealed to it (holder
    `office`), which the console never opens with; `bvte office migrate` shares it with the root and the
    officers covering the commune."""
    from functions.keys import DEV_PASSPHRASE
    from functions.web import context
    from tests.test_cases_cli import PASSPHRASE, Office

    data = pdf_with_marker(padding=200_000)
    sha = post_form(client, code, rubric, evidence_tc03=(io.BytesIO(data), "danh-sach.pdf"))["evidence"][0]["sha256"]
    storage = context(client.application).storage
    assert set(_manifest(storage, sha)["keys"]) == {"office"}
    office = Office(runner, config, tmp_path)
    office.init()
    office.add("can-bo-lan", "--communes", "muong-ang")
    lan = office_keys.unlock(office.key("can-bo-lan").read_bytes(), PASSPHRASE)
    with pytest.raises(evidence_seal.EvidenceSealError):
        read_as(storage, sha, lan, "can-bo-lan")
    legacy_passphrase = tmp_path / "legacy-passphrase.txt"
    legacy_passphrase.write_text(DEV_PASSPHRASE)
    migrate = ("office", "migrate", "--legacy-key", str(dev_keys / "office.key"), "--root-key", str(office.root_key))
    out = office.run(*migrate, BVTE_PASSPHRASE_FILE=str(legacy_passphrase)).output
    assert "đã mở cho khóa gốc và cán bộ phụ trách xã 1 tệp." in out
    assert read_as(storage, sha, lan, "can-bo-lan") == data
    again = office.run(*migrate, BVTE_PASSPHRASE_FILE=str(legacy_passphrase)).output
    assert "đã mở cho khóa gốc và cán bộ phụ trách xã 0 tệp." in again
