"""Opening the case list: 1,000 cases with 10 signed events each, from passphrase to list.

Baseline, same run and same storage kind: 1,000 reports of the first format (sealed to the single office
key) unlocked with the same Argon2id cost and decrypted. Both on the local backend in a temporary folder.
Reported: wall time, the ratio to the baseline, and the Python memory peak (tracemalloc) of each.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nacl.public import PrivateKey

from functions.core import cases, crypto, office_keys, receipts, tips
from functions.core.office_keys import Identity, Officer
from functions.storage.local import LocalStorage

CASES = int(os.environ.get("BENCH_CASES", "1000"))
EVENTS = 10
PASSPHRASE = "mat-khau-thu-nghiem"
SECRET = b"s" * 32
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
FIELDS = {"description": "Một em bé bị bỏ đói nhiều ngày " * 8, "category": "bao-luc", "commune": "muong-ang",
          "urgent": False}


def build(root_dir: Path) -> tuple[LocalStorage, bytes, Identity, LocalStorage, bytes]:
    new, old = LocalStorage(root_dir / "new"), LocalStorage(root_dir / "old")
    root, officer = Identity.generate(), Identity.generate()
    keyring = office_keys.EMPTY_KEYRING.with_officer(Officer("can-bo", "Cán bộ", ("*",), officer.verify_key), T0)
    office_keys.publish_keyring(new, keyring, root)
    legacy = PrivateKey.generate()
    for i in range(CASES):
        now = T0 + timedelta(minutes=i)
        stored = tips.store(new, SECRET, cases.CaseLock(root.verify_key, keyring, "muong-ang"),
                            receipts.new_submission_id(), FIELDS, [], now=now)
        case = cases.open_case(new, stored.tip_id, officer, "can-bo")
        seen: list = []
        for e in range(EVENTS):
            seen.append(cases.write_event(new, case, "can-bo", officer, "note", {"text": f"ghi chú {e}"}, seen,
                                          now + timedelta(seconds=e + 1)))
        tips.store(old, SECRET, tips.SingleKeyLock(legacy.public_key), receipts.new_submission_id(), FIELDS, [],
                   now=now)
    return (new, office_keys.protect(officer, PASSPHRASE, "moderate"), root,
            old, crypto.protect_private_key(legacy, PASSPHRASE, "moderate"))


def case_list(storage, key_file: bytes, root_verify) -> int:
    identity = office_keys.unlock(key_file, PASSPHRASE)
    versions = office_keys.keyring_versions(storage, root_verify)
    rows = 0
    for tip_id in cases.tip_ids(storage):
        case = cases.open_case(storage, tip_id, identity, "can-bo")
        state = cases.replay(cases.read_events(storage, case, root_verify, versions))
        rows += 1 if case.case_number and len(state.notes) == EVENTS else 0
    return rows


def old_list(storage, key_file: bytes) -> int:
    key = crypto.unlock_private_key(key_file, PASSPHRASE)
    return sum(1 for tip_id in tips.tip_ids(storage) if tips.read(storage, key, tip_id).fields)


def measure(fn, *args) -> tuple[float, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / 2**20, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        new, new_key, root, old, old_key = build(Path(tmp))
        print(f"built {CASES} cases × {EVENTS} events and {CASES} first-format reports in "
              f"{time.perf_counter() - started:.1f} s (Argon2id 'moderate' for both keys)")
        base_s, base_mb, base_rows = measure(old_list, old, old_key)
        new_s, new_mb, new_rows = measure(case_list, new, new_key, root.verify_key)
        assert base_rows == new_rows == CASES, (base_rows, new_rows)
        print(f"{'variant':52} {'seconds':>8} {'ratio':>6} {'peak MiB':>9}")
        print(f"{'first format: unlock + decrypt ' + str(CASES) + ' reports':52} {base_s:8.2f} {1:6.2f} {base_mb:9.1f}")
        print(f"{'case records: unlock + open + verify + replay':52} {new_s:8.2f} {new_s / base_s:6.2f} {new_mb:9.1f}")


if __name__ == "__main__":
    main()
