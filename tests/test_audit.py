"""The officers' audit log (functions/core/audit.py) on both storage backends: a local directory and
SeaweedFS (a real S3 server on 127.0.0.1). Entries are tampered with the way someone with write access
to the storage would: deleting, rewriting, swapping and re-signing files."""

from __future__ import annotations

import ast
import base64
import json
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from nacl.signing import SigningKey

from functions.config import REPO_ROOT
from functions.core import audit
from functions.core.audit import ACTIONS, FIELDS, Problem, append, entries, entry_key, heads, verify
from functions.storage.local import LocalStorage
from s3_servers import s3_storage

OFFICER = "can-bo-a"
OTHER = "can-bo-b"
KEY_A = SigningKey.generate()
KEY_B = SigningKey.generate()
KEYS = {OFFICER: [KEY_A.verify_key], OTHER: [KEY_B.verify_key]}
NOW = datetime(2026, 3, 1, 15, 0, 0, tzinfo=timezone(timedelta(hours=7)))


def known_keys(officer: str):
    return KEYS.get(officer, [])


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    else:
        yield s3_storage(request.getfixturevalue("seaweedfs"))


def write_chain(backend, count: int, officer: str = OFFICER, key: SigningKey = KEY_A) -> list[str]:
    actions = list(ACTIONS)
    return [append(backend, officer, key, actions[i % len(actions)], f"2026-{i + 1:04d}", now=NOW + timedelta(seconds=i))
            for i in range(count)]


def rewrite(backend, key: str, data: bytes) -> None:
    """Replace a stored object the only way create-only storage allows: delete, then create."""
    backend.delete(key)
    backend.create(key, data)


def signed(members: dict, key: SigningKey) -> bytes:
    unsigned = {name: value for name, value in members.items() if name != "signature"}
    signature = key.sign(audit.canonical(unsigned)).signature
    return audit.canonical({**unsigned, "signature": base64.b64encode(signature).decode()})


def test_append_then_verify_is_clean(backend):
    keys = write_chain(backend, 5)
    write_chain(backend, 2, OTHER, KEY_B)
    assert keys == [entry_key(OFFICER, seq) for seq in range(1, 6)] == [f"audit/can-bo-a/{seq:010d}.json" for seq in range(1, 6)]
    assert verify(backend, known_keys) == (7, [])

    chain = entries(backend, OFFICER)
    assert [e["seq"] for e in chain] == [1, 2, 3, 4, 5]
    assert [e["action"] for e in chain] == list(ACTIONS)[:5]
    assert chain[0]["prev"] == ""
    for before, after, key in zip(chain, chain[1:], keys):
        assert after["prev"] == audit.digest(backend.read(key))
    assert chain[0]["time"] == "2026-03-01T08:00:00Z"  # UTC, to the second
    assert [(e["officer"], e["seq"]) for e in entries(backend)] == [(OFFICER, s) for s in range(1, 6)] + [(OTHER, 1), (OTHER, 2)]


def test_entries_hold_the_documented_fields_and_nothing_else(backend):
    key = append(backend, OFFICER, KEY_A, "open_case", "2026-0007", now=NOW)
    data = backend.read(key)
    entry = json.loads(data)
    assert sorted(entry) == sorted(FIELDS) == sorted(["format", "officer", "seq", "time", "action", "subject",
                                                       "prev", "signature"])
    assert entry == {**entry, "format": "bvte-audit-v1", "officer": OFFICER, "seq": 1, "action": "open_case",
                     "subject": "2026-0007", "prev": "", "time": "2026-03-01T08:00:00Z"}
    assert data == json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    # The signature covers the canonical JSON of every other member, by the officer's key.
    others = {name: value for name, value in entry.items() if name != "signature"}
    KEY_A.verify_key.verify(json.dumps(others, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
                            base64.b64decode(entry["signature"]))


def test_deleting_a_middle_entry_is_reported_missing(backend):
    keys = write_chain(backend, 5)
    backend.delete(keys[2])
    assert verify(backend, known_keys) == (4, [
        Problem(OFFICER, keys[2], "missing", "Thiếu mục số 3 trong nhật ký của can-bo-a.")])


def test_deleting_the_first_entries_is_reported_missing_once(backend):
    keys = write_chain(backend, 5)
    backend.delete(keys[0])
    backend.delete(keys[1])
    assert verify(backend, known_keys) == (3, [
        Problem(OFFICER, keys[0], "missing", "Thiếu các mục số 1–2 trong nhật ký của can-bo-a.")])


def test_editing_an_entry_by_hand_is_reported_altered(backend):
    keys = write_chain(backend, 4)
    data = backend.read(keys[1])
    assert b'"action":"open_case"' in data
    rewrite(backend, keys[1], data.replace(b'"action":"open_case"', b'"action":"export"'))
    count, problems = verify(backend, known_keys)
    # Only the edited entry: the next one's broken link is a consequence, not a second finding.
    assert count == 4 and [(p.key, p.kind) for p in problems] == [(keys[1], "altered")]
    assert problems[0].message == "Mục số 2 trong nhật ký của can-bo-a đã bị sửa: chữ ký không khớp với khóa của cán bộ."


def test_reformatting_an_entry_without_changing_its_meaning_is_altered(backend):
    keys = write_chain(backend, 3)
    entry = json.loads(backend.read(keys[1]))
    rewrite(backend, keys[1], json.dumps(entry, indent=2).encode())  # signature still valid, bytes are not
    assert [(p.key, p.kind) for p in verify(backend, known_keys)[1]] == [(keys[1], "altered")]


def test_unreadable_entry_is_altered(backend):
    keys = write_chain(backend, 3)
    rewrite(backend, keys[2], b"\xff\x00 not json")
    problems = verify(backend, known_keys)[1]
    assert [(p.key, p.kind) for p in problems] == [(keys[2], "altered")]
    assert "không đọc được" in problems[0].message


def test_swapping_two_entries_files_is_reported(backend):
    keys = write_chain(backend, 4)
    second, third = backend.read(keys[1]), backend.read(keys[2])
    rewrite(backend, keys[1], third)
    rewrite(backend, keys[2], second)
    count, problems = verify(backend, known_keys)
    assert count == 4
    assert [(p.key, p.kind) for p in problems] == [(keys[1], "reordered"), (keys[2], "reordered")]
    assert problems[0].message == ("Tệp số 2 trong nhật ký của can-bo-a chứa mục số 3 của can-bo-a: "
                                   "nhật ký đã bị sắp xếp lại.")


def test_genuine_entries_that_do_not_chain_are_reordered(backend):
    # The key's holder replaces entry 2 by another entry they signed: both neighbours verify, the link does not.
    keys = write_chain(backend, 3)
    entry = json.loads(backend.read(keys[1]))
    rewrite(backend, keys[1], signed({**entry, "subject": "2026-0999"}, KEY_A))
    assert [(p.key, p.kind) for p in verify(backend, known_keys)[1]] == [(keys[2], "reordered")]


def test_entry_signed_by_another_key_is_altered(backend):
    keys = write_chain(backend, 3)
    entry = json.loads(backend.read(keys[1]))
    rewrite(backend, keys[1], signed(entry, KEY_B))  # same members, someone else's signature
    forged = append(backend, OFFICER, KEY_B, "export", "2026-0001")  # appended with a key not the officer's
    count, problems = verify(backend, known_keys)
    assert count == 4
    assert [(p.key, p.kind) for p in problems] == [(keys[1], "altered"), (forged, "altered")]


def test_entry_without_signature_is_unsigned(backend):
    keys = write_chain(backend, 2)
    entry = json.loads(backend.read(keys[1]))
    del entry["signature"]
    rewrite(backend, keys[1], audit.canonical(entry))
    problems = verify(backend, known_keys)[1]
    assert [(p.key, p.kind, p.message) for p in problems] == [
        (keys[1], "unsigned", "Mục số 2 trong nhật ký của can-bo-a không có chữ ký.")]


def test_entry_moved_to_another_officers_log_is_reported(backend):
    write_chain(backend, 1, OTHER, KEY_B)
    moved = entry_key(OFFICER, 1)
    backend.create(moved, backend.read(entry_key(OTHER, 1)))
    assert [(p.key, p.kind) for p in verify(backend, known_keys)[1]] == [(moved, "altered")]  # not A's signature
    # Even an officer who had the other's key cannot move an entry: officer and seq are signed.
    both = {OFFICER: [KEY_A.verify_key, KEY_B.verify_key], OTHER: [KEY_B.verify_key]}
    assert [(p.key, p.kind) for p in verify(backend, lambda o: both.get(o, []))[1]] == [(moved, "reordered")]


def test_unknown_officer_is_reported_and_not_trusted(backend):
    write_chain(backend, 2)
    write_chain(backend, 3, "can-bo-x", KEY_B)
    count, problems = verify(backend, known_keys)
    assert count == 2
    assert [(p.officer, p.kind, p.key) for p in problems] == [("can-bo-x", "unknown_officer", "audit/can-bo-x/")]
    assert problems[0].message.startswith("Nhật ký của can-bo-x không thuộc cán bộ nào có khóa đã biết")


def test_entries_signed_with_a_former_key_still_verify(backend):
    new_key = SigningKey.generate()
    write_chain(backend, 2)
    append(backend, OFFICER, new_key, "unlock")
    assert verify(backend, lambda o: [KEY_A.verify_key, new_key.verify_key] if o == OFFICER else [])[1] == []


def test_a_stray_file_in_the_log_is_reported(backend):
    write_chain(backend, 2)
    backend.create("audit/can-bo-a/notes.txt", b"hello")
    assert [(p.officer, p.key, p.kind) for p in verify(backend, known_keys)[1]] == [
        (OFFICER, "audit/can-bo-a/notes.txt", "altered")]
    assert append(backend, OFFICER, KEY_A, "unlock") == entry_key(OFFICER, 3)  # the stray does not confuse append


def test_deleting_the_newest_entries_is_only_seen_against_an_earlier_checkpoint(backend):
    keys = write_chain(backend, 5)
    checkpoint = heads(backend)
    assert checkpoint == {OFFICER: (5, audit.digest(backend.read(keys[4])))}
    backend.delete(keys[4])
    backend.delete(keys[3])
    # The documented limit: a chain cut at its end is still a valid chain.
    assert verify(backend, known_keys) == (3, [])
    assert verify(backend, known_keys, seen=checkpoint)[1] == [
        Problem(OFFICER, keys[3], "missing",
                "Thiếu các mục số 4–5 trong nhật ký của can-bo-a (lần kiểm trước có đến mục số 5).")]
    # Cut, then written over by new appends: the count is back, the checkpoint still tells.
    write_chain(backend, 2)
    assert verify(backend, known_keys) == (5, [])
    assert [(p.key, p.kind) for p in verify(backend, known_keys, seen=checkpoint)[1]] == [(keys[4], "altered")]


def test_an_officers_whole_log_deleted_is_seen_against_a_checkpoint(backend):
    keys = write_chain(backend, 2, OTHER, KEY_B)
    checkpoint = heads(backend)
    for key in keys:
        backend.delete(key)
    assert verify(backend, known_keys) == (0, [])
    assert [(p.officer, p.kind) for p in verify(backend, known_keys, seen=checkpoint)[1]] == [(OTHER, "missing")]


def test_concurrent_appends_by_one_officer_make_one_contiguous_chain(backend):
    errors = []

    def officer_computer(n: int):
        try:
            for i in range(20):
                append(backend, OFFICER, KEY_A, "view_attachment", f"2026-{n}{i:03d}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=officer_computer, args=(n,)) for n in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert list(backend.list("audit/")) == [entry_key(OFFICER, seq) for seq in range(1, 41)]
    assert sorted(e["subject"] for e in entries(backend, OFFICER)) == sorted(
        f"2026-{n}{i:03d}" for n in range(2) for i in range(20))
    assert verify(backend, known_keys) == (40, [])


@pytest.mark.parametrize("subject", [
    "Bé Lan bị đánh", "em be bi danh", "nguyen van a", "x" * 65, "2026-0007\n", "ghi chú", "a/b", "tel:0912",
    "２０２６-０００７",  # full-width digits: not [0-9]
])
def test_refuses_content_looking_subjects(backend, subject):
    with pytest.raises(ValueError):
        append(backend, OFFICER, KEY_A, "open_case", subject)
    assert list(backend.list("audit/")) == []


@pytest.mark.parametrize("officer, action, now", [
    ("can bo a", "open_case", None), ("../x", "open_case", None), (".hidden", "open_case", None),
    ("can-bo-a\n", "open_case", None), ("x" * 65, "open_case", None),
    (OFFICER, "delete_case", None), (OFFICER, "open_case", datetime(2026, 3, 1, 8, 0)),  # naive time
])
def test_refuses_bad_officer_action_or_time(backend, officer, action, now):
    with pytest.raises(ValueError):
        append(backend, officer, KEY_A, action, "2026-0007", now=now)
    assert list(backend.list("audit/")) == []


def test_accepts_identifier_subjects(backend):
    for subject in ("2026-0007", "can-bo-b", "", "x" * 64):
        append(backend, OFFICER, KEY_A, "grant", subject)
    assert [e["subject"] for e in entries(backend, OFFICER)] == ["2026-0007", "can-bo-b", "", "x" * 64]
    assert verify(backend, known_keys) == (4, [])


def test_append_gives_up_after_bounded_conflicts():
    class AlwaysTaken:
        def list(self, prefix=""):
            return iter(())

        def create(self, key, data):
            raise audit.AlreadyExists(key)

    with pytest.raises(audit.AuditConflict):
        append(AlwaysTaken(), OFFICER, KEY_A, "unlock")


def test_action_labels_are_vietnamese():
    assert ACTIONS == {"unlock": "Mở khóa", "open_case": "Mở hồ sơ", "view_attachment": "Xem tệp đính kèm",
                       "save_attachment": "Lưu tệp đính kèm", "write_event": "Ghi vào hồ sơ",
                       "export": "Xuất dữ liệu", "grant": "Chia sẻ hồ sơ", "print": "In biểu mẫu",
                       "open_inbox": "Xem danh sách hồ sơ",
                       "open_assessment": "Mở bản tự đánh giá của xã", "view_evidence": "Xem tệp minh chứng",
                       "write_review": "Ghi kết quả xem xét tự đánh giá",
                       "share_evidence": "Chia sẻ tệp minh chứng cho cán bộ mới"}


def test_audit_core_imports_only_core_nacl_and_the_standard_library():
    tree = ast.parse((REPO_ROOT / "functions" / "core" / "audit.py").read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))
    allowed = [n for n in names if n.startswith(("functions.core.", "nacl")) or n == "__future__"
               or n.split(".")[0] in sys.stdlib_module_names]
    assert sorted(names) == sorted(allowed) and "functions.core.store" in names
    assert "environ" not in (REPO_ROOT / "functions" / "core" / "audit.py").read_text(encoding="utf-8")
