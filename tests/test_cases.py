"""Case records (functions.core.office_keys, functions.core.cases) on the local and the S3 backend.

Who can open what, the signed history, what the receipt holder can and cannot see, case numbers.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from conftest import strong_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from functions.core import cases, office_keys, receipts, tips
from functions.core.images import CleanFile
from functions.core.office_keys import Identity, Keyring, Officer
from functions.storage.local import LocalStorage
from s3_servers import s3_storage

SECRET = b"k" * 32
NOTE_MARKER = "GHI-CHU-NOI-BO-7f3a"
T0 = datetime(2026, 11, 30, 7, 5, tzinfo=timezone.utc)


@pytest.fixture(params=["local", pytest.param("s3+dynamodb", marks=pytest.mark.s3),
                        pytest.param("s3-cas", marks=pytest.mark.s3)])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    if request.param == "s3+dynamodb":  # case numbers from DynamoDB's atomic counter
        return s3_storage(request.getfixturevalue("seaweedfs"), request.getfixturevalue("dynamodb"))
    return s3_storage(request.getfixturevalue("seaweedfs"))  # case numbers by compare-and-swap on S3


class Office:
    """A root, a keyring and its officers' identities, published in ``storage``."""

    def __init__(self, storage):
        self.storage = storage
        self.root = Identity.generate()
        self.people: dict[str, Identity] = {}
        self.keyring = office_keys.EMPTY_KEYRING

    def add(self, officer_id: str, communes: tuple[str, ...], now: datetime = T0 - timedelta(days=1)) -> Identity:
        identity = Identity.generate()
        self.people[officer_id] = identity
        officer = Officer(officer_id, f"Cán bộ {officer_id}", communes, identity.verify_key)
        self.keyring = self.keyring.with_officer(officer, now)
        office_keys.publish_keyring(self.storage, self.keyring, self.root)
        return identity

    def remove(self, officer_id: str, now: datetime) -> None:
        self.keyring = self.keyring.without_officer(officer_id, now)
        office_keys.publish_keyring(self.storage, self.keyring, self.root)

    def versions(self) -> list[Keyring]:
        return office_keys.keyring_versions(self.storage, self.root.verify_key)

    def report(self, commune: str, description: str = "Em bé bị bỏ đói", submission: str | None = None,
               now: datetime = T0, files: list[CleanFile] | None = None) -> tuple[str, str]:
        """Store a report as intake does; (tip id, receipt)."""
        lock = cases.CaseLock(self.root.verify_key, office_keys.current_keyring(self.storage, self.root.verify_key),
                              commune)
        fields = {"description": description, "category": "bao-luc", "commune": commune, "urgent": False}
        stored = tips.store(self.storage, SECRET, lock, submission or receipts.new_submission_id(), fields,
                            files or [], now=now)
        return stored.tip_id, stored.receipt

    def open(self, tip_id: str, officer_id: str | None) -> cases.Case:
        identity = self.root if officer_id is None else self.people[officer_id]
        return cases.open_case(self.storage, tip_id, identity, officer_id)

    def events(self, case: cases.Case) -> list[cases.Event]:
        return cases.read_events(self.storage, case, self.root.verify_key, self.versions())


@pytest.fixture
def office(storage):
    office = Office(storage)
    office.add("can-bo-lan", ("muong-ang",))
    office.add("can-bo-hoa", ("bung-lao",))
    return office


def test_each_report_opens_for_the_officers_of_its_commune_and_the_root_only(office):
    tip_id, _ = office.report("muong-ang", files=[CleanFile("jpeg", "image/jpeg", "jpg", b"\xff\xd8anh")])
    case = office.open(tip_id, "can-bo-lan")
    assert case.fields["description"] == "Em bé bị bỏ đói" and case.case_number == "2026-0001"
    assert cases.read_attachment(office.storage, case, case.attachments[0]) == b"\xff\xd8anh"
    assert office.open(tip_id, None).fields == case.fields  # the recovery key always opens it
    with pytest.raises(cases.CaseError):
        office.open(tip_id, "can-bo-hoa")  # another commune's officer
    stored = b"".join(office.storage.read(k) for k in office.storage.list(f"tips/{tip_id}/"))
    assert "bỏ đói".encode() not in stored and b"\xff\xd8anh" not in stored


def test_a_report_of_unknown_place_opens_for_every_officer(office):
    tip_id, _ = office.report("khong-ro")
    assert office.open(tip_id, "can-bo-lan").tip_id == office.open(tip_id, "can-bo-hoa").tip_id == tip_id


def test_a_removed_officer_cannot_open_reports_that_arrive_after_removal(office):
    before, _ = office.report("bung-lao", now=T0)
    office.remove("can-bo-hoa", T0 + timedelta(hours=1))
    after, _ = office.report("bung-lao", now=T0 + timedelta(hours=2))
    assert office.open(before, "can-bo-hoa").fields["commune"] == "bung-lao"
    with pytest.raises(cases.CaseError):
        office.open(after, "can-bo-hoa")
    assert office.open(after, None).fields["commune"] == "bung-lao"


def test_a_keyring_version_that_does_not_verify_is_ignored_and_reported(office):
    forger = Identity.generate()
    fake = office.keyring.with_officer(Officer("ke-gia-mao", "X", ("*",), forger.verify_key))
    office_keys.publish_keyring(office.storage, fake, forger)  # signed by someone who is not the root
    ignored = []
    current = office_keys.current_keyring(office.storage, office.root.verify_key, on_invalid=ignored.append)
    assert current.officer("ke-gia-mao") is None and current.version == office.keyring.version
    assert ignored == [fake.version]
    tip_id, _ = office.report("bung-lao")
    assert "officer/ke-gia-mao" not in cases.open_case(office.storage, tip_id, office.root, None).holders


def test_keyring_versions_are_create_only(office):
    with pytest.raises(office_keys.OfficeKeyError):
        office_keys.publish_keyring(office.storage, office.keyring, office.root)


def test_handover_grants_the_case_to_a_colleague(office):
    tip_id, _ = office.report("muong-ang")
    case = office.open(tip_id, "can-bo-lan")
    colleague = office.keyring.officer("can-bo-hoa")
    event = cases.grant(office.storage, case, "can-bo-lan", office.people["can-bo-lan"], colleague, [])
    assert office.open(tip_id, "can-bo-hoa").fields == case.fields
    state = cases.replay(office.events(case))
    assert state.granted == ["can-bo-hoa"] and event.verified


def test_notes_never_reach_the_receipt_holder_replies_do_and_withdrawn_ones_disappear(office):
    tip_id, receipt = office.report("muong-ang")
    case = office.open(tip_id, "can-bo-lan")
    lan = office.people["can-bo-lan"]
    seen = office.events(case)
    seen.append(cases.write_event(office.storage, case, "can-bo-lan", lan, "note", {"text": NOTE_MARKER}, seen))
    seen.append(cases.reply(office.storage, case, "can-bo-lan", lan, "Bạn cho biết thêm tên thôn được không?", seen))
    seen.append(cases.reply(office.storage, case, "can-bo-lan", lan, "Gửi nhầm", seen))
    seen.append(cases.set_public_status(office.storage, case, "can-bo-lan", lan, "verifying", seen))
    wrong = seen[-2].payload["message_id"]
    seen.append(cases.withdraw(office.storage, case, "can-bo-lan", lan, wrong, "Gửi nhầm hồ sơ", seen))
    answer = tips.lookup(office.storage, SECRET, receipt)
    assert answer["status"] == "verifying"
    assert [m["text"] for m in answer["messages"]] == ["Bạn cho biết thêm tên thôn được không?"]
    assert NOTE_MARKER not in json.dumps(answer, ensure_ascii=False)
    state = cases.replay(office.events(case))
    assert [n.payload["text"] for n in state.notes] == [NOTE_MARKER]
    withdrawn = [r for r in state.replies if r["withdrawn"]]
    assert withdrawn[0]["withdrawn"]["by"] == "can-bo-lan" and withdrawn[0]["withdrawn"]["reason"] == "Gửi nhầm hồ sơ"
    everything = b"".join(office.storage.read(k) for k in office.storage.list(f"tips/{tip_id}/"))
    assert NOTE_MARKER.encode() not in everything


def test_an_edited_or_inserted_event_is_shown_unverified_and_changes_nothing(office):
    tip_id, _ = office.report("muong-ang")
    case = office.open(tip_id, "can-bo-lan")
    lan = office.people["can-bo-lan"]
    first = cases.set_public_status(office.storage, case, "can-bo-lan", lan, "verifying", [])
    # Edited by hand: the same object, another public status (the storage is create-only; a person with
    # write access to the bucket is who this defends against, so the test rewrites the bytes underneath).
    document = json.loads(office.storage.read(first.key))
    forged_payload = cases.crypto.box_encrypt(case.content_key, json.dumps({"state": "closed"}).encode())
    document["body"] = cases.crypto.b64(forged_payload)
    office.storage.delete(first.key)
    office.storage.create(first.key, json.dumps(document).encode())
    # Inserted by hand: well formed, signed by a key that is not in the keyring.
    intruder = Identity.generate()
    cases.write_event(office.storage, case, "can-bo-lan", intruder, "assign", {"officer": "ke-gia-mao"}, [])
    events = office.events(case)
    assert [e.verified for e in events] == [False, False]
    assert all(e.label.endswith("(không xác thực)") for e in events)
    state = cases.replay(events)
    assert state.public_status == "received" and state.assigned == "" and len(state.unverified) == 2


def test_an_event_by_an_officer_not_yet_in_the_keyring_does_not_verify(office):
    tip_id, _ = office.report("muong-ang")
    case = office.open(tip_id, "can-bo-lan")
    late = office.add("can-bo-moi", ("*",), now=T0 + timedelta(days=1))
    cases.write_event(office.storage, case, "can-bo-moi", late, "note", {"text": "x"}, [], now=T0 + timedelta(hours=1))
    cases.write_event(office.storage, case, "can-bo-moi", late, "note", {"text": "y"}, [], now=T0 + timedelta(days=2))
    assert [e.verified for e in office.events(case)] == [False, True]


def test_two_officers_writing_at_once_lose_nothing_and_the_fork_is_shown(office):
    tip_id, _ = office.report("khong-ro")
    lan_case, hoa_case = office.open(tip_id, "can-bo-lan"), office.open(tip_id, "can-bo-hoa")
    seen = office.events(lan_case)  # both read the same history, then write concurrently
    barrier = threading.Barrier(2)
    written = []

    def write(case, officer_id, text):
        barrier.wait()
        written.append(cases.write_event(office.storage, case, officer_id, office.people[officer_id], "note",
                                         {"text": text}, list(seen)))

    threads = [threading.Thread(target=write, args=(lan_case, "can-bo-lan", "A")),
               threading.Thread(target=write, args=(hoa_case, "can-bo-hoa", "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = cases.replay(office.events(lan_case))
    assert sorted(n.payload["text"] for n in state.notes) == ["A", "B"]
    assert len(state.conflicts) == 1


def test_fifty_concurrent_reports_get_fifty_distinct_case_numbers(office):
    results, errors = [], []

    def send(i):
        try:
            results.append(office.report("muong-ang", description=f"Tin báo {i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = cases.case_numbers(office.storage)
    assert sorted(numbers) == [f"2026-{n:04d}" for n in range(1, 51)]
    assert sorted(numbers.values()) == sorted(t for t, _ in results)
    assert cases.gaps(office.storage, numbers) == []


def test_a_number_taken_by_a_failed_write_is_a_gap_never_reused(office):
    first, _ = office.report("muong-ang")

    class FailingCommit:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def create(self, key, data):
            if key.endswith(cases.RECORD_V2):
                raise cases.CaseError("disk full")  # the commit point fails after the number was taken
            return self.inner.create(key, data)

    broken = Office.__new__(Office)
    broken.__dict__.update(office.__dict__, storage=FailingCommit(office.storage))
    with pytest.raises(cases.CaseError):
        broken.report("muong-ang")
    third, _ = office.report("muong-ang")
    numbers = cases.case_numbers(office.storage)
    assert numbers == {"2026-0001": first, "2026-0003": third}
    assert [g.case_number for g in cases.gaps(office.storage, numbers)] == ["2026-0002"]
    assert cases.find_case(office.storage, "2026-3") == third
    with pytest.raises(cases.CaseError):
        cases.find_case(office.storage, "2026-0002")


def test_case_numbers_follow_the_vietnam_year(office):
    late_evening = datetime(2026, 12, 31, 18, 30, tzinfo=timezone.utc)  # 01:30 on 1/1/2027 in Vietnam
    tip_id, _ = office.report("muong-ang", now=late_evening)
    assert office.open(tip_id, "can-bo-lan").case_number == "2027-0001"


def test_a_report_of_the_first_format_still_opens_and_migrates_for_the_keyring(office):
    legacy = PrivateKey.generate()
    fields = {"description": "Tin cũ", "category": "bao-luc", "commune": "muong-ang", "urgent": True}
    stored = tips.store(office.storage, SECRET, tips.SingleKeyLock(legacy.public_key), "s" * 20, fields,
                        [CleanFile("pdf", "application/pdf", "pdf", b"%PDF-1.4 cu")], now=T0)
    old = cases.open_case(office.storage, stored.tip_id, None, None, legacy_key=legacy)
    assert old.legacy and old.fields == fields
    assert cases.read_attachment(office.storage, old, old.attachments[0], legacy) == b"%PDF-1.4 cu"
    with pytest.raises(cases.CaseError):
        office.open(stored.tip_id, "can-bo-lan")
    lock = cases.CaseLock(office.root.verify_key, office.keyring, "muong-ang")
    number = cases.migrate(office.storage, stored.tip_id, legacy, lock)
    case = office.open(stored.tip_id, "can-bo-lan")
    assert case.fields == fields and case.case_number == number == "2026-0001"
    assert cases.read_attachment(office.storage, case, case.attachments[0]) == b"%PDF-1.4 cu"
    assert tips.lookup(office.storage, SECRET, stored.receipt)["found"]  # the receipt keeps working
    with pytest.raises(cases.CaseError):
        cases.migrate(office.storage, stored.tip_id, legacy, lock)


def test_paper_backup_restores_the_root_and_names_the_line_with_a_typo():
    root = Identity.generate()
    lines = office_keys.paper_backup(root.seed)
    assert len(lines) == 8 and all(len(line) == 9 for line in lines)
    assert office_keys.seed_from_paper(" ".join(lines).lower().replace("-", " ")) == root.seed
    typo = list(lines)
    typo[4] = typo[4][:5] + ("2" if typo[4][5] != "2" else "3") + typo[4][6:]
    with pytest.raises(office_keys.OfficeKeyError, match="Dòng 5"):
        office_keys.seed_from_paper("\n".join(typo))
    swapped = [lines[1], lines[0], *lines[2:]]
    with pytest.raises(office_keys.OfficeKeyError, match="không khớp"):
        office_keys.seed_from_paper("\n".join(swapped))


ACTIONS = st.lists(st.tuples(st.sampled_from(["can-bo-lan", "can-bo-hoa", "root"]),
                             st.sampled_from(["note", "reply", "status", "withdraw", "assign", "close"]),
                             st.text(min_size=1, max_size=30)), min_size=1, max_size=10)


def play(storage, people: dict[str, Identity], actions) -> tuple[tuple, list[str], str]:
    """Publish an office with ``people``, store one report, apply ``actions``; (state summary, notes, status answer)."""
    office = Office(storage)
    office.root = people["root"]
    for officer_id in ("can-bo-lan", "can-bo-hoa"):
        office.people[officer_id] = people[officer_id]
        office.keyring = office.keyring.with_officer(
            Officer(officer_id, officer_id, ("*",), people[officer_id].verify_key), T0 - timedelta(days=1))
        office_keys.publish_keyring(storage, office.keyring, office.root)
    office.people["root"] = office.root
    tip_id, receipt = office.report("muong-ang", submission="p" * 20)
    opened = {name: cases.open_case(storage, tip_id, office.people[name], None if name == "root" else name)
              for name in ("can-bo-lan", "can-bo-hoa", "root")}
    notes = []
    for step, (who, kind, text) in enumerate(actions):
        author, case, identity = (cases.ROOT if who == "root" else who), opened[who], office.people[who]
        seen, now = office.events(case), T0 + timedelta(minutes=step + 1)
        if kind == "note":
            notes.append(f"NOI-BO-{step}-{text}")
            cases.write_event(storage, case, author, identity, "note", {"text": notes[-1]}, seen, now)
        elif kind == "reply":
            cases.reply(storage, case, author, identity, f"Nhắn {step}", seen, now)
        elif kind == "status":
            cases.set_public_status(storage, case, author, identity, "handling", seen, now)
        elif kind == "withdraw":
            sent = [e.payload["message_id"] for e in seen if e.kind == "reply"]
            if sent:
                cases.withdraw(storage, case, author, identity, sent[0], "nhầm", seen, now)
        else:
            cases.write_event(storage, case, author, identity, kind, {"officer": "can-bo-hoa"}, seen, now)
    states = [cases.replay(office.events(opened[name])) for name in ("can-bo-lan", "root")]
    summaries = {(s.public_status, s.closed, s.assigned, tuple(n.payload["text"] for n in s.notes),
                  tuple((r["text"], bool(r["withdrawn"])) for r in s.replies), len(s.unverified)) for s in states}
    assert len(summaries) == 1  # every reader replays to the same state
    answer = tips.lookup(storage, SECRET, receipt)
    answer["messages"] = [m["text"] for m in answer["messages"]]
    return summaries.pop(), notes, json.dumps({k: answer[k] for k in ("status", "messages")}, ensure_ascii=False)


@pytest.mark.s3
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_replay_is_the_same_on_every_backend_and_internal_text_never_reaches_the_status(
        tmp_path_factory, seaweedfs, actions):
    """Random sequences of events by random officers, played on the local and the S3 backend: the same
    state for every reader on both, no unverified event, and no note's text in any status answer."""
    people = {name: Identity.generate() for name in ("root", "can-bo-lan", "can-bo-hoa")}
    local = play(LocalStorage(tmp_path_factory.mktemp("prop") / "store"), people, actions)
    on_s3 = play(s3_storage(seaweedfs), people, actions)
    assert local[0] == on_s3[0] and local[2] == on_s3[2]
    assert local[0][-1] == 0
    assert not any(marker in local[2] for marker in local[1])


def test_a_storage_key_with_a_trailing_newline_is_refused():
    from functions.core.store import check_key

    with pytest.raises(ValueError):
        check_key("audit/can-bo-lan\n")


def test_root_is_no_officer_id_and_a_junk_version_does_not_block_the_next_one(office):
    with pytest.raises(office_keys.OfficeKeyError):
        office_keys.check_officer_id("root")
    office.storage.create(office_keys.keyring_key(office.keyring.version + 1), b"{not a keyring")
    base = office_keys.next_base(office.storage, office_keys.current_keyring(office.storage, office.root.verify_key))
    newer = base.with_officer(Officer("can-bo-moi", "Mới", ("*",), Identity.generate().verify_key))
    office_keys.publish_keyring(office.storage, newer, office.root)
    assert office_keys.current_keyring(office.storage, office.root.verify_key).officer("can-bo-moi") is not None


def test_intake_reads_the_keyring_for_every_report_so_a_removal_counts_at_once(app, client):
    from functions.keys import ROOT_PUBLIC_NAME, keys_dir
    from functions.web import context

    storage = context(app).storage
    office = Office(storage)
    office.add("can-bo-lan", ("muong-ang",))
    folder = keys_dir(context(app).config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ROOT_PUBLIC_NAME).write_text(office_keys.verify_key_text(office.root.verify_key), encoding="ascii")
    report = {"description": "Em bé ở bản Co Hắc bị đánh", "category": "bao-luc", "commune": "Mường Ảng"}
    assert client.post("/api/tips", json={**report, "submission_id": strong_id("a")}).status_code == 201
    office.remove("can-bo-lan", datetime.now(timezone.utc))
    assert client.post("/api/tips", json={**report, "submission_id": strong_id("b")}).status_code == 201
    opened = []
    for tip_id in cases.tip_ids(storage):
        try:
            opened.append(office.open(tip_id, "can-bo-lan").fields["commune_as_typed"])
        except cases.CaseError:
            opened.append(None)
    assert sorted(opened, key=str) == ["Mường Ảng", None]
    assert all(office.open(tip_id, None) for tip_id in cases.tip_ids(storage))  # the root opens both


@pytest.mark.parametrize("as_json", [True, False])
def test_no_internal_word_reaches_the_status_page_json_or_html(app, client, as_json):
    from functions.keys import ROOT_PUBLIC_NAME, keys_dir
    from functions.web import context

    office = Office(context(app).storage)
    office.add("can-bo-lan", ("*",))
    folder = keys_dir(context(app).config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ROOT_PUBLIC_NAME).write_text(office_keys.verify_key_text(office.root.verify_key), encoding="ascii")
    sent = client.post("/api/tips", json={"description": "Em bé bị bỏ đói nhiều ngày", "category": "bao-luc",
                                          "commune": "khong-ro", "submission_id": strong_id("c")})
    receipt = sent.get_json()["receipt"]
    [tip_id] = cases.tip_ids(office.storage)
    case = office.open(tip_id, "can-bo-lan")
    lan = office.people["can-bo-lan"]
    seen = [cases.write_event(office.storage, case, "can-bo-lan", lan, "note", {"text": NOTE_MARKER}, [])]
    seen.append(cases.write_event(office.storage, case, "can-bo-lan", lan, "form",
                                  {"form": "mau-01", "child_name": NOTE_MARKER + "-ten"}, seen))
    cases.reply(office.storage, case, "can-bo-lan", lan, "Cảm ơn bạn, chúng tôi đang xác minh.", seen)
    answer = client.post("/api/tips/status", **({"json": {"receipt": receipt}} if as_json else
                                                {"data": {"receipt": receipt}}))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Cảm ơn bạn, chúng tôi đang xác minh." in text
    assert NOTE_MARKER not in text


def test_intake_logs_a_keyring_version_that_does_not_verify_by_number_only(app, client, caplog):
    import logging

    from functions.keys import ROOT_PUBLIC_NAME, keys_dir
    from functions.web import context

    office = Office(context(app).storage)
    office.add("can-bo-lan", ("*",))
    forger = Identity.generate()
    fake = office.keyring.with_officer(Officer("ke-gia-mao", "Kẻ Giả Mạo", ("*",), forger.verify_key))
    office_keys.publish_keyring(office.storage, fake, forger)
    folder = keys_dir(context(app).config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ROOT_PUBLIC_NAME).write_text(office_keys.verify_key_text(office.root.verify_key), encoding="ascii")
    caplog.set_level(logging.WARNING)
    sent = client.post("/api/tips", json={"description": "Em bé bị bỏ đói nhiều ngày", "category": "bao-luc",
                                          "commune": "khong-ro", "submission_id": strong_id("d")})
    assert sent.status_code == 201
    assert f"keyring version {fake.version} does not verify" in caplog.text
    assert "ke-gia-mao" not in caplog.text and "Giả Mạo" not in caplog.text
    [tip_id] = cases.tip_ids(office.storage)
    assert "officer/ke-gia-mao" not in office.open(tip_id, "can-bo-lan").holders
