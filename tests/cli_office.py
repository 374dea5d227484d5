"""The officers' command line against one data folder, for tests: ``Office`` (root and officers' key files
in a folder, passphrases from files) and the fixture ``office``, an office of a root and two officers.

A plugin (tests/conftest.py registers it), not imported into test modules: imported, the session fixture
``made_office`` would be made once per importing module instead of once per test process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from functions.commands import main
from functions.config import Config

PASSPHRASE = "mot cau mat khau dai cua van phong"


class Office:
    """The command line against one data folder: a root key file and officers' key files in ``folder``."""

    def __init__(self, runner, config: Config, folder: Path):
        self.runner, self.config, self.folder = runner, config, folder
        self.passphrase_file = folder / "passphrase.txt"
        self.passphrase_file.write_text(PASSPHRASE + "\n")
        self.root_key = folder / "office-root.key"

    def env(self, **extra) -> dict:
        env = {"BVTE_DATA_DIR": str(self.config.data_dir), "BVTE_KEY": None, "BVTE_PASSPHRASE": None,
               "BVTE_PASSPHRASE_FILE": str(self.passphrase_file),
               "BVTE_ROOT_PASSPHRASE_FILE": str(self.passphrase_file),
               "BVTE_NEW_PASSPHRASE_FILE": str(self.passphrase_file)}
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, ok: bool = True, **env):
        result = self.runner.invoke(main, list(args), env=self.env(**env), input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def key(self, officer_id: str) -> Path:
        return self.folder / f"{officer_id}.key"

    def init(self):
        return self.run("office", "init", "--root-key", str(self.root_key), "--kdf", "interactive")

    def add(self, officer_id: str, *where: str):
        return self.run("officers", "add", officer_id, "--name", f"Cán bộ {officer_id}", *where,
                        "--key", str(self.key(officer_id)), "--root-key", str(self.root_key), "--kdf", "interactive")

    def as_officer(self, officer_id: str, *args: str, ok: bool = True):
        return self.run("cases", args[0], "--key", str(self.key(officer_id)), *args[1:], ok=ok)

    def listed(self, officer_id: str) -> list[dict]:
        document = json.loads(self.as_officer(officer_id, "list", "--json").output)
        return [row for row in document["cases"] if not row["gap"]]


@pytest.fixture(scope="session")
def made_office(tmp_path_factory) -> Path:
    """An office made once per test process with the commands (root, can-bo-lan for Mường Ảng, can-bo-minh
    for Búng Lao): the folder of its key files and its data folder ``var``. Making one runs Argon2id five
    times; ``office`` copies this one for each test instead."""
    from click.testing import CliRunner

    from functions.core import crypto, office_keys

    folder = tmp_path_factory.mktemp("office")
    office = Office(CliRunner(), Config(data_dir=folder / "var", testing=True), folder)
    office.init()
    office.add("can-bo-lan", "--communes", "muong-ang")
    office.add("can-bo-minh", "--communes", "bung-lao")
    # Made by the commands at the "interactive" cost, then locked again at the development office's least
    # cost (the cost is part of each file): the tests unlock these keys some hundred times a run, and at
    # 0.12 CPU-s an unlock that was half of these tests' time. Key files at real costs: tests/test_keys.py.
    for key_file in folder.glob("*.key"):
        identity = office_keys.unlock(key_file.read_bytes(), PASSPHRASE)
        key_file.write_bytes(office_keys.protect(identity, PASSPHRASE, crypto.DEVELOPMENT_KDF))
    return folder


@pytest.fixture
def office(runner, config, tmp_path, made_office) -> Office:
    """An office: root, can-bo-lan for Mường Ảng, can-bo-minh for Búng Lao, in this test's folders (a copy of
    ``made_office``: key files with their modes, and the data folder)."""
    shutil.copytree(made_office / "var", config.data_dir, dirs_exist_ok=True)
    for key_file in made_office.glob("*.key"):
        shutil.copy2(key_file, tmp_path / key_file.name)
    return Office(runner, config, tmp_path)
