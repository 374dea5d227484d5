"""The console's inbox: from the passphrase typed to the inbox page, for 100, 1,000 and 10,000 cases.

One development office in a temporary data folder (local backend), seeded once and grown between sizes with
the intake's own code (``tips.store`` with a ``cases.CaseLock``) and signed events (``cases.write_event``):
each case gets an assignment and a note, every tenth is closed. Seeding is not measured and runs with
``os.fsync`` switched off (durability of seed data is not what is measured; reads are the same).

For each size, a fresh console (nothing kept in memory) through Flask's test client: ``POST /mo-khoa``
(Argon2id "interactive", the development keys' cost), then ``GET /`` (the first render reads every case),
then ``GET /`` again (what a reload costs: only the listing, nothing changed). Baseline in the same run:
``bvte cases list --json`` for the same key and data, in-process (click's runner: no interpreter start-up).
Each variant runs in a new interpreter (``spawn``). Memory: its peak RSS (``VmHWM``, reset through
``/proc/self/clear_refs`` when the variant starts);
for the console also how far the first inbox alone raised it (the unlock's Argon2id takes 64 MiB by itself,
in both variants; the command's rise includes it).

``BENCH_SIZES=100,1000`` runs fewer sizes.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
import tempfile
import time
from pathlib import Path
from unittest import mock

from click.testing import CliRunner

from functions.commands import main as bvte
from functions.commands.session import Session
from functions.config import Config
from functions.console import create_console_app
from functions.core import cases, office_keys, receipts, tips
from functions.keys import DEV_PASSPHRASE, dev_officer_key, ensure_dev_office

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]
SECRET = b"b" * 32
NOW = dt.datetime.now(dt.timezone.utc)
COMMUNES = ("muong-ang", "bung-lao", "muong-lan", "na-tau")
CATEGORIES = ("bao-luc", "bo-roi-bo-mac", "tao-hon", "xam-hai-tinh-duc", "khac")
TOKEN = "bench-" + "z" * 40
PORT = 47999  # never listened on: the test client only names it in Host


def folder_config(folder: Path) -> Config:
    return Config(data_dir=folder / "var", site_dir=folder / "no-site", testing=True)


class Office:
    """The seeded data folder, grown case by case."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = folder_config(folder)
        ensure_dev_office(self.config)
        self.session = Session(None, config=self.config)
        self.officer = office_keys.unlock(dev_officer_key(self.config).read_bytes(), DEV_PASSPHRASE)
        self.count = 0
        self.passphrase_file = folder / "passphrase.txt"
        self.passphrase_file.write_text(DEV_PASSPHRASE + "\n")

    def grow_to(self, size: int) -> float:
        started = time.perf_counter()
        lock_args = (self.session.root, self.session.keyring)
        with mock.patch("os.fsync"):
            while self.count < size:
                self._one(self.count, lock_args)
                self.count += 1
        return time.perf_counter() - started

    def _one(self, i: int, lock_args) -> None:
        commune = COMMUNES[i % len(COMMUNES)]
        fields = {"description": "Một em bé bị bỏ đói nhiều ngày " * 4, "category": CATEGORIES[i % len(CATEGORIES)],
                  "commune": commune, "urgent": i % 7 == 0}
        received = NOW - dt.timedelta(minutes=17 * i + 5)
        stored = tips.store(self.session.storage, SECRET, cases.CaseLock(*lock_args, commune),
                            receipts.new_submission_id(), fields, [], now=received)
        case = cases.open_case(self.session.storage, stored.tip_id, self.officer, "can-bo-phat-trien")
        seen: list = []
        events = [("assign", {"officer": "can-bo-phat-trien"}), ("note", {"text": "Đã gọi cho trưởng thôn."})]
        if i % 10 == 0:
            events.append(("close", {}))
        for kind, payload in events:
            seen.append(cases.write_event(self.session.storage, case, "can-bo-phat-trien", self.officer, kind,
                                          payload, seen))


def reset_peak() -> float:
    """Reset the process's peak RSS to its current RSS; the RSS in MiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def peak() -> float:
    return _status("VmHWM")


def _status(name: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE).group(1)) / 1024


def console_run(folder: Path, now: dt.datetime) -> dict:
    """Unlock, first inbox, reload: seconds of each, peak memory, and the cases the inbox counted."""
    config = folder_config(folder)
    app = create_console_app(Session(None, config=config), dev_officer_key(config), launch_token=TOKEN, port=PORT)
    app.extensions["console-now"] = lambda: now
    client = app.test_client()
    base = f"http://127.0.0.1:{PORT}"
    assert client.get(f"/bat-dau?t={TOKEN}", base_url=base).status_code == 303
    guard = app.extensions["console-guard"]
    reset_peak()
    started = time.perf_counter()
    unlocked = client.post("/mo-khoa", data={"mat_khau": DEV_PASSPHRASE, "csrf": guard.csrf_token}, base_url=base)
    unlock_s = time.perf_counter() - started
    unlock_peak = peak()
    before = reset_peak()  # Argon2id alone takes 64 MiB at the unlock: the inbox's own rise is measured apart
    started = time.perf_counter()
    first = client.get("/?tinh_trang=tat-ca", base_url=base)
    first_s = time.perf_counter() - started
    top = peak()
    started = time.perf_counter()
    again = client.get("/?tinh_trang=tat-ca", base_url=base)
    again_s = time.perf_counter() - started
    assert unlocked.status_code == 303 and first.status_code == again.status_code == 200
    total = int(re.search(r"trong (\d+) hồ sơ bạn mở được", first.get_data(as_text=True)).group(1))
    return {"unlock": unlock_s, "inbox": first_s, "reload": again_s, "peak": max(top, unlock_peak),
            "rise": top - before,
            "cases": total, "read_again": app.extensions["console-case-index"].last_read}


def cli_run(folder: Path) -> dict:
    """``bvte cases list --json`` for the same key: seconds, peak memory, cases listed."""
    config = folder_config(folder)
    env = {"BVTE_DATA_DIR": str(config.data_dir), "BVTE_PASSPHRASE_FILE": str(folder / "passphrase.txt"),
           "BVTE_KEY": None}
    before = reset_peak()
    started = time.perf_counter()
    result = CliRunner().invoke(bvte, ["cases", "list", "--json", "--key", str(dev_officer_key(config))], env=env)
    elapsed = time.perf_counter() - started
    top = peak()
    assert result.exit_code == 0, result.output[-2000:]
    listed = json.loads(result.stdout)["cases"]
    return {"seconds": elapsed, "peak": top, "rise": top - before, "cases": sum(1 for r in listed if not r["gap"])}


def fresh(function, *args) -> dict:
    """``function(*args)`` in a new interpreter: its memory figures start clean (no seeding, no earlier size)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        office = Office(Path(tmp))
        print(f"{'cases':>6} {'seed s':>7} {'unlock s':>8} {'inbox s':>8} {'ms/case':>8} {'reload s':>8} "
              f"{'cli s':>7} {'ms/case':>8} {'inbox+unlock / cli':>18} {'peak MiB (inbox rise)':>22} "
              f"{'cli peak MiB (rise)':>20}")
        for size in SIZES:
            seeded = office.grow_to(size)
            console = fresh(console_run, office.folder, NOW)
            cli = fresh(cli_run, office.folder)
            assert console["cases"] == cli["cases"] == size, (console["cases"], cli["cases"], size)
            assert console["read_again"] == 0
            ratio = (console["unlock"] + console["inbox"]) / cli["seconds"]
            print(f"{size:>6} {seeded:7.1f} {console['unlock']:8.2f} {console['inbox']:8.2f} "
                  f"{1000 * console['inbox'] / size:8.2f} {console['reload']:8.2f} {cli['seconds']:7.2f} "
                  f"{1000 * cli['seconds'] / size:8.2f} {ratio:18.2f} "
                  f"{console['peak']:15.1f} ({console['rise']:5.1f}) {cli['peak']:12.1f} ({cli['rise']:5.1f})",
                  flush=True)


if __name__ == "__main__":
    main()
