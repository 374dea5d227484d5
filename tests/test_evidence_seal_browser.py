"""Evidence sealed in the browser before a direct upload (issue 13): the page's own sealing code
(theme/assets/js/evidence-seal.js with the vendored libsodium, run by node exactly as the page runs it) makes
what Python opens; the server claims a sealed upload by its structure only (size, recipients, commune) and
stores the standard sealed parts; on S3 a plain file can no longer be sent ahead; a file that is not what it
was announced as is refused when a reviewer opens it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import subprocess
from pathlib import Path

import pytest
from conftest import two_commune_office

from functions.config import REPO_ROOT, Config
from functions.core import access_codes, assessments, evidence_seal, office_keys
from functions.storage import open_storage
from s3_servers import ACCESS_KEY, SECRET_KEY, s3_config

YEAR = dt.date.today().year
JSON = {"Accept": "application/json"}
MIB = 1024 * 1024
HELPER = Path(__file__).parent / "seal_evidence_node.js"


def pdf(size: int, fill: bytes = b"0") -> bytes:
    head, tail = b"%PDF-1.4\n% ho so\n", b"\n%%EOF\n"
    return head + (fill * size)[: size - len(head) - len(tail)] + tail


# -- the page's code, run by node -------------------------------------------------------------------------

def node_seal(tmp_path: Path, offer: dict, data: bytes, kind: str = "pdf") -> tuple[dict, bytes]:
    """(seal, object) as the page makes them for ``data``: the vendored libsodium and evidence-seal.js."""
    (tmp_path / "offer.json").write_text(json.dumps(offer))
    (tmp_path / "facts.json").write_text(json.dumps({"sha256": hashlib.sha256(data).hexdigest(),
                                                     "size": len(data), "kind": kind}))
    (tmp_path / "plain.bin").write_bytes(data)
    done = subprocess.run(["node", str(HELPER), str(tmp_path / "offer.json"), str(tmp_path / "facts.json"),
                           str(tmp_path / "plain.bin"), str(tmp_path / "sealed.bin")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), (tmp_path / "sealed.bin").read_bytes()


@pytest.fixture(scope="module")
def office():
    return two_commune_office(keyring_version=2)


def offer_for(lock) -> dict:
    return {"recipients": evidence_seal.public_recipients(lock), "chunk_bytes": evidence_seal.CHUNK_BYTES,
            "keyring_version": lock.keyring_version}


def stored_from_node(tmp_path, office, data: bytes):
    root, _, _, keyring = office
    lock = evidence_seal.lock_for_keyring(root.verify_key, keyring, "muong-ang")
    announced, sealed = node_seal(tmp_path, offer_for(lock), data)
    seal = evidence_seal.check_browser_seal(announced, lock, len(data))
    storage = open_storage(Config(data_dir=tmp_path / "var", testing=True))
    arrival = evidence_seal.SealedArrival(seal=seal, ciphertext=io.BytesIO(sealed), sha256=hashlib.sha256(data).hexdigest(),
                                          size=len(data), kind="pdf", commune_id="muong-ang", seal_id="ab" * 8,
                                          upload_key="uploads/x")
    evidence_seal.store_browser_sealed(storage, assessments.EVIDENCE_PREFIX, arrival)
    return storage, hashlib.sha256(data).hexdigest(), sealed


def opened(storage, sha, identity, officer_id) -> bytes:
    return b"".join(assessments.open_evidence(storage, sha, "muong-ang", evidence_seal.holder_name(officer_id),
                                              identity.box_key))


@pytest.mark.parametrize("size", [5_000, MIB, MIB * 5 // 2])
def test_what_the_page_seals_python_opens_byte_for_byte(tmp_path, office, size):
    root, officer, other, _ = office
    data = pdf(size, b"tre-em-")
    storage, sha, sealed = stored_from_node(tmp_path, office, data)
    parts = evidence_seal.parts_for(size)
    assert len(sealed) == evidence_seal.sealed_size(size) == size + 17 * parts
    manifest = json.loads(storage.read(f"assessments/evidence/{sha}/sealed-muong-ang.json"))
    assert manifest["parts"] == parts and manifest["format"] == evidence_seal.FORMAT
    assert opened(storage, sha, root, None) == data
    assert opened(storage, sha, officer, "can-bo-a") == data
    with pytest.raises(evidence_seal.EvidenceSealError):
        opened(storage, sha, other, "can-bo-b")  # an officer of another commune
    # The facts were encrypted exactly as Python writes them.
    content_key = evidence_seal._content_key(storage, manifest, "root", root.box_key)
    facts = evidence_seal._facts_box(content_key).decrypt(base64.b64decode(manifest["facts"]))
    assert facts == json.dumps({"sha256": sha, "size": size, "kind": "pdf"}, sort_keys=True).encode()


def test_tampered_reordered_or_cut_off_parts_are_refused(tmp_path, office):
    root, _, _, _ = office
    data = pdf(MIB * 5 // 2, b"danh-sach-")
    storage, sha, _ = stored_from_node(tmp_path, office, data)
    manifest = json.loads(storage.read(f"assessments/evidence/{sha}/sealed-muong-ang.json"))
    folder = manifest["folder"]
    parts = [storage.read(f"{folder}/part-{i:06d}") for i in range(3)]

    def put(index: int, data: bytes) -> None:
        storage.delete(f"{folder}/part-{index:06d}")
        storage.create(f"{folder}/part-{index:06d}", data)

    put(1, parts[1][:100] + bytes([parts[1][100] ^ 1]) + parts[1][101:])  # one bit changed
    with pytest.raises(evidence_seal.EvidenceSealError):
        opened(storage, sha, root, None)
    put(1, parts[0])  # two parts swapped
    put(0, parts[1])
    with pytest.raises(evidence_seal.EvidenceSealError):
        opened(storage, sha, root, None)
    put(0, parts[0])
    put(1, parts[1])
    assert opened(storage, sha, root, None) == data  # put back: it opens again
    key = f"assessments/evidence/{sha}/sealed-muong-ang.json"
    storage.delete(key)
    storage.create(key, json.dumps({**manifest, "parts": 2}).encode())  # the last part cut off
    with pytest.raises(evidence_seal.EvidenceSealError):
        opened(storage, sha, root, None)


def test_an_object_that_is_not_exactly_the_announced_chunks_is_not_stored(tmp_path, office):
    root, _, _, keyring = office
    lock = evidence_seal.lock_for_keyring(root.verify_key, keyring, "muong-ang")
    data = pdf(MIB + 10)
    announced, sealed = node_seal(tmp_path, offer_for(lock), data)
    seal = evidence_seal.check_browser_seal(announced, lock, len(data))
    storage = open_storage(Config(data_dir=tmp_path / "var", testing=True))
    for wrong in (sealed[:-1], sealed + b"x"):
        arrival = evidence_seal.SealedArrival(seal=seal, ciphertext=io.BytesIO(wrong), sha256="a" * 64, size=len(data),
                                              kind="pdf", commune_id="muong-ang", seal_id="cd" * 8, upload_key="uploads/y")
        with pytest.raises(evidence_seal.EvidenceSealError):
            evidence_seal.store_browser_sealed(storage, assessments.EVIDENCE_PREFIX, arrival)
        assert list(storage.list("assessments/")) == []


def test_a_seal_for_other_holders_or_malformed_is_refused(office):
    root, _, _, keyring = office
    lock = evidence_seal.lock_for_keyring(root.verify_key, keyring, "muong-ang")
    good = {"header": base64.b64encode(b"h" * 24).decode(), "facts": base64.b64encode(b"f" * 120).decode(),
            "keys": {holder: base64.b64encode(b"k" * 80).decode() for holder in lock.recipients},
            "parts": 1, "part_bytes": MIB, "keyring_version": 2}
    assert evidence_seal.check_browser_seal(good, lock, 10).parts == 1
    for bad in ({**good, "keys": {"root": good["keys"]["root"]}},  # an officer left out
                {**good, "keys": {**good["keys"], "officer/can-bo-b": good["keys"]["root"]}},  # one added
                {**good, "keyring_version": 1}, {**good, "parts": 2}, {**good, "part_bytes": 4096},
                {**good, "header": "not base64!"}, {**good, "header": base64.b64encode(b"h" * 23).decode()},
                {**good, "keys": {h: "AAAA" for h in good["keys"]}}, {**good, "facts": "A" * 4000}, "seal", None):
        with pytest.raises(evidence_seal.EvidenceSealError):
            evidence_seal.check_browser_seal(bad, lock, 10)


# -- HTTP: the sealed start and claim -------------------------------------------------------------------------

def keyed_app(base: Config, office):
    """An app whose office has a root and a keyring (muong-ang: can-bo-a), and muong-ang's access code."""
    from functions.web import context, create_app

    root, _, _, keyring = office
    app = create_app(base.replace(office_public_key=office_keys.verify_key_text(root.verify_key)))
    ctx = context(app)
    office_keys.publish_keyring(ctx.storage, keyring, root)
    ctx.cache["test-code"] = access_codes.issue(ctx.storage, ctx.secret(), "muong-ang")[0]
    return app, ctx


@pytest.fixture
def local(tmp_path, office):
    return keyed_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True,
                            assessment_max_file_bytes=4 * MIB), office)


@pytest.fixture
def on_s3(tmp_path, seaweedfs, monkeypatch, office):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    base = Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True,
                  assessment_max_file_bytes=4 * MIB, secret_key="ef" * 32)
    return keyed_app(s3_config(base, seaweedfs), office)


def start(client, ctx, data: bytes, name="ho-so.pdf", ctype="application/pdf", commune="muong-ang"):
    return client.post("/api/uploads", json={
        "filename": name, "content_type": ctype, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "commune": commune, "access_code": ctx.cache["test-code"]})


def flat(seal: dict, token: str) -> dict:
    """The second /api/uploads body, as the page sends it: the seal's members flat, one ``key:<holder>`` each."""
    body = {"seal": token, **{k: v for k, v in seal.items() if k != "keys"}}
    body.update({f"key:{holder}": value for holder, value in seal["keys"].items()})
    return body


def sealed_start(client, offer: dict, seal: dict):
    return client.post("/api/uploads", json=flat(seal, offer["upload"]))


def send(answer: dict, body: bytes, client=None):
    """Post the object as the page does: to the local stand-in through ``client``, else to S3 itself."""
    if client is not None:
        return client.post(answer["url"], data={**answer["fields"], "file": (io.BytesIO(body), "blob")},
                           content_type="multipart/form-data").status_code
    import requests

    return requests.post(answer["url"], data=answer["fields"], files={"file": ("blob", body, "application/octet-stream")},
                         timeout=30).status_code


def submit(client, ctx, rubric, **extra):
    from test_uploads import scores

    data = {"commune": "muong-ang", "year": str(YEAR), "access_code": ctx.cache["test-code"], **scores(rubric), **extra}
    return client.post("/api/assessments", data=data, headers=JSON, content_type="multipart/form-data")


def upload_sealed(tmp_path, client, ctx, data: bytes, via_client: bool) -> str:
    first = start(client, ctx, data)
    assert first.status_code == 201, first.get_json()
    offer = first.get_json()["seal"]
    seal, body = node_seal(tmp_path, offer, data)
    second = sealed_start(client, offer, seal)
    assert second.status_code == 201, second.get_json()
    answer = second.get_json()
    assert answer["max_bytes"] == len(body) and answer["fields"]["Content-Type"] == "application/octet-stream"
    assert send(answer, body, client if via_client else None) in (200, 201, 204)
    return answer["upload"]


def test_the_slot_names_exactly_the_holders_the_intake_seals_to(local, office):
    app, ctx = local
    root, officer, _, _ = office
    answer = start(app.test_client(), ctx, pdf(5000)).get_json()
    seal = answer["seal"]
    assert seal["format"] == evidence_seal.FORMAT and seal["chunk_bytes"] == MIB and seal["keyring_version"] == 2
    assert seal["recipients"] == {
        "root": base64.b64encode(bytes(root.verify_key.to_curve25519_public_key())).decode(),
        "officer/can-bo-a": base64.b64encode(bytes(officer.verify_key.to_curve25519_public_key())).decode()}
    assert answer["url"] == "/api/uploads/local"  # the local stand-in still takes a plain file too


def test_a_sealed_upload_is_stored_as_sealed_parts_and_opens_for_the_officer(tmp_path, local, office, rubric):
    app, ctx = local
    _, officer, _, _ = office
    client = app.test_client()
    data = pdf(MIB * 5 // 2, b"ho-ten-tre-")
    token = upload_sealed(tmp_path, client, ctx, data, via_client=True)
    r = submit(client, ctx, rubric, upload_evidence_tc02=token, submission_id="a" * 32)
    assert r.status_code == 201, r.get_json()
    [record] = r.get_json()["assessment"]["evidence"]
    sha = hashlib.sha256(data).hexdigest()
    assert (record["sha256"], record["size"], record["kind"], record["criterion"]) == (sha, len(data), "pdf", "tc02")
    assert list(ctx.storage.list("uploads/")) == []  # the upload object went once its parts were written
    assert opened(ctx.storage, sha, officer, "can-bo-a") == data
    # The same form sent again (a double click) is the same receipt; the token is not a way to store twice.
    before = sorted(ctx.storage.list("assessments/"))
    again = submit(client, ctx, rubric, upload_evidence_tc02=token, submission_id="a" * 32)
    assert again.status_code == 200 and again.get_json()["assessment"]["version"] == 1
    later = submit(client, ctx, rubric, upload_evidence_tc02=token, submission_id="b" * 32)  # replayed later
    assert later.status_code == 201 and later.get_json()["assessment"]["evidence"][0]["sha256"] == sha
    assert sorted(k for k in ctx.storage.list("assessments/evidence/")) == [k for k in before if "/evidence/" in k]


def test_a_sealed_claim_with_wrong_bytes_or_missing_object_is_a_message_next_to_the_field(tmp_path, local, rubric):
    app, ctx = local
    client = app.test_client()
    data = pdf(MIB + 5)
    first = start(client, ctx, data).get_json()["seal"]
    seal, body = node_seal(tmp_path, first, data)
    answer = sealed_start(client, first, seal).get_json()
    r = submit(client, ctx, rubric, upload_evidence_tc03=answer["upload"])  # nothing sent yet
    assert r.status_code == 400 and "Chưa nhận được" in r.get_json()["error"]["fields"]["evidence_tc03"]
    assert send(answer, body[:-20], client) == 204  # shorter than announced
    r = submit(client, ctx, rubric, upload_evidence_tc03=answer["upload"])
    assert r.status_code == 400 and "kích thước không khớp" in r.get_json()["error"]["fields"]["evidence_tc03"]
    assert list(ctx.storage.list("assessments/")) == [] or all(
        not k.startswith("assessments/evidence/") for k in ctx.storage.list("assessments/"))


def test_a_seal_announced_badly_or_for_other_holders_is_400_on_the_file(tmp_path, local, office, rubric):
    app, ctx = local
    client = app.test_client()
    data = pdf(3000)
    offer = start(client, ctx, data).get_json()["seal"]
    seal, body = node_seal(tmp_path, offer, data)
    for bad in ({**seal, "keys": {"root": seal["keys"]["root"]}}, {**seal, "parts": 2}, {**seal, "header": "x"}):
        r = sealed_start(client, offer, bad)
        assert r.status_code == 400 and r.get_json()["error"]["fields"]["file"]
    r = client.post("/api/uploads", json=flat(seal, offer["upload"] + "x"))
    assert r.status_code == 400 and "hết hạn" in r.get_json()["error"]["fields"]["file"]
    # The keyring changes between the upload and the form: the claim refuses it, nothing is stored.
    answer = sealed_start(client, offer, seal).get_json()
    assert send(answer, body, client) == 204
    root, officer, other, keyring = office
    newer = office_keys.Keyring(3, "2026-02-01T00:00:00+00:00", keyring.officers + (
        office_keys.Officer("can-bo-c", "C", ("muong-ang",), office_keys.Identity.generate().verify_key),))
    office_keys.publish_keyring(ctx.storage, newer, root)
    r = submit(client, ctx, rubric, upload_evidence=answer["upload"])
    assert r.status_code == 400 and "thay đổi" in r.get_json()["error"]["fields"]["evidence"]
    assert not [k for k in ctx.storage.list("assessments/") if k.startswith("assessments/evidence/")]


def test_a_sealed_upload_counts_only_for_its_own_commune(tmp_path, local, rubric):
    app, ctx = local
    client = app.test_client()
    data = pdf(3000)
    token = upload_sealed(tmp_path, client, ctx, data, via_client=True)
    from test_uploads import scores

    other = access_codes.issue(ctx.storage, ctx.secret(), "bung-lao")[0]
    r = client.post("/api/assessments", data={"commune": "bung-lao", "year": str(YEAR), "access_code": other,
                                              **scores(rubric), "upload_evidence": token},
                    headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 400 and "xã khác" in r.get_json()["error"]["fields"]["evidence"]


@pytest.mark.s3
def test_presigned_post_to_seaweedfs_then_claim(tmp_path, on_s3, office, rubric):
    """Moved from test_uploads.py when a plain file stopped going ahead on S3 (issue 13): the real S3 server
    still enforces the signed policy (size, type, key), now for the sealed object, and the claim stores it."""
    app, ctx = on_s3
    _, officer, _, _ = office
    client = app.test_client()
    data = pdf(MIB * 3 // 2, b"bien-ban-")
    first = start(client, ctx, data)
    assert first.status_code == 201
    assert {"url", "fields", "upload"}.isdisjoint(first.get_json())  # no signed post for a plain file
    unhashed = client.post("/api/uploads", json={"filename": "a.pdf", "content_type": "application/pdf",
                                                 "size": 100, "commune": "muong-ang",
                                                 "access_code": ctx.cache["test-code"]})
    assert unhashed.status_code == 400 and "mã hóa" in unhashed.get_json()["error"]["fields"]["file"]
    offer = first.get_json()["seal"]
    seal, body = node_seal(tmp_path, offer, data)
    answer = sealed_start(client, offer, seal).get_json()
    assert answer["url"].startswith("http://127.0.0.1:")
    assert "policy" in answer["fields"] and answer["fields"]["key"].endswith(answer["fields"]["key"].rsplit("/", 1)[-1])

    import requests

    too_big = requests.post(answer["url"], data=answer["fields"],
                            files={"file": ("blob", body + b"x", "application/octet-stream")}, timeout=30)
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text  # more than the encrypted size
    wrong_type = requests.post(answer["url"], data={**answer["fields"], "Content-Type": "application/pdf"},
                               files={"file": ("a.pdf", body, "application/pdf")}, timeout=30)
    assert wrong_type.status_code == 403
    elsewhere = requests.post(answer["url"], data={**answer["fields"], "key": ctx.storage.prefix + "tips/x/report.sealed"},
                              files={"file": ("blob", body, "application/octet-stream")}, timeout=30)
    assert elsewhere.status_code == 403
    # None of the refused posts left anything (the access code and keyring are the test's own setup).
    assert [k for k in ctx.storage.list("") if not k.startswith(("access-codes/", "keyring/"))] == []

    assert send(answer, body) in (200, 201, 204)
    r = submit(client, ctx, rubric, upload_evidence_tc01=answer["upload"])
    assert r.status_code == 201, r.get_json()
    [evidence] = r.get_json()["assessment"]["evidence"]
    sha = hashlib.sha256(data).hexdigest()
    assert evidence["sha256"] == sha and evidence["size"] == len(data)
    assert any(k.startswith("assessments/evidence/") for k in ctx.storage.list("assessments/"))
    assert [k for k in ctx.storage.list("uploads/")] == []
    assert opened(ctx.storage, sha, officer, "can-bo-a") == data


# -- opening: the type is checked by content, since the server could not ------------------------------------

def test_a_file_that_is_not_its_announced_kind_is_refused_when_opened(tmp_path, office):
    from functions.core import evidence_preview

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert "thực chất là ảnh PNG" in evidence_preview.kind_problem(png, "pdf")
    assert evidence_preview.kind_problem(pdf(3000), "pdf") == ""


def test_the_template_gives_the_upload_function_the_keyring_and_the_claim_may_delete_its_upload():
    from samtranslator.yaml_helper import yaml_parse

    resources = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))["Resources"]
    uploads = resources["UploadsFunction"]["Properties"]
    assert uploads["Environment"]["Variables"]["BVTE_OFFICE_PUBLIC_KEY"] == {"Ref": "OfficeRootPublicKey"}
    statements = json.dumps(uploads["Policies"])
    assert "${DataPrefix}keyring/*" in statements and "s3:DeleteObject" not in statements
    claims = resources["AssessmentsFunction"]["Properties"]["Policies"][0]["Statement"]
    deletes = next(s for s in claims if s.get("Sid") == "ClaimedSealedUploads")
    assert deletes["Action"] == "s3:DeleteObject" and "uploads/*" in json.dumps(deletes["Resource"])
    csp = json.dumps(resources["SiteHeaders"])
    assert "'wasm-unsafe-eval'" in csp


def test_the_vendored_libsodium_is_the_pinned_package():
    package = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]
    assert package["libsodium-wrappers"] == "0.8.4" and package["libsodium"] == "0.8.4"
    vendor = REPO_ROOT / "theme" / "assets" / "js" / "vendor"
    modules = REPO_ROOT / "node_modules"
    for name in ("libsodium", "libsodium-wrappers"):
        assert (vendor / f"{name}.js").read_bytes() == (modules / name / "dist" / "modules" / f"{name}.js").read_bytes(), \
            f"{name}.js differs from node_modules: run `make vendor-js`"
        assert (vendor / f"{name}.LICENSE").read_bytes() == (modules / name / "LICENSE").read_bytes()


def test_the_console_refuses_a_browser_sealed_file_that_is_not_its_announced_kind(tmp_path, console, client, code,
                                                                                   rubric):
    """The server could not look inside a file sealed in the browser: a PNG announced as a PDF is stored, and
    the officer's console refuses to show it, saying what it really is."""
    from test_uploads import scores

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000
    sha = hashlib.sha256(png).hexdigest()
    first = client.post("/api/uploads", json={"filename": "bao-cao.pdf", "content_type": "application/pdf",
                                              "size": len(png), "sha256": sha, "commune": "muong-ang",
                                              "access_code": code})
    assert first.status_code == 201, first.get_json()
    offer = first.get_json()["seal"]
    seal, body = node_seal(tmp_path, offer, png, kind="pdf")
    answer = sealed_start(client, offer, seal).get_json()
    assert send(answer, body, client) == 204
    r = client.post("/api/assessments", data={"commune": "muong-ang", "year": str(YEAR), "access_code": code,
                                              **scores(rubric), "upload_evidence": answer["upload"]},
                    headers=JSON, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["assessment"]["evidence"][0]["kind"] == "pdf"
    console.unlock()
    for path in (f"/danh-gia/muong-ang/{YEAR}/tep/{sha}", f"/danh-gia/muong-ang/{YEAR}/tep/{sha}/noi-dung"):
        shown = console.get(path)
        assert shown.status_code == 415
        assert "không đúng loại đã khai" in shown.get_data(as_text=True) and b"\x89PNG" not in shown.get_data()


def test_a_seal_for_a_dozen_officers_and_a_long_vietnamese_name_fits_the_small_body_limit(tmp_path):
    """/api/uploads keeps its small body limit (4 KiB): the seal's announcement of the root and 12 officers
    covering the commune, for a file with a 120-character Vietnamese name, still fits."""
    root = office_keys.Identity.generate()
    officers = tuple(office_keys.Officer(f"can-bo-phu-trach-xa-{i:02d}", f"Cán bộ {i}", ("muong-ang",),
                                         office_keys.Identity.generate().verify_key) for i in range(12))
    keyring = office_keys.Keyring(version=1, created="2026-01-01T00:00:00+00:00", officers=officers)
    app, ctx = keyed_app(Config(data_dir=tmp_path / "var", site_dir=tmp_path / "no-site", testing=True),
                         (root, None, None, keyring))
    client = app.test_client()
    data = pdf(4000)
    first = start(client, ctx, data, name="Biên bản kiểm tra hồ sơ trẻ em có hoàn cảnh đặc biệt " * 3 + ".pdf")
    offer = first.get_json()["seal"]
    assert len(offer["recipients"]) == 13
    seal, _ = node_seal(tmp_path, offer, data)
    answer = sealed_start(client, offer, seal)
    assert answer.status_code == 201, answer.get_json()
