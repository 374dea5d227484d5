"""``bvte keys generate``, the development key pair, and the protected private key file."""

from __future__ import annotations

import json
import os
import stat

import pytest

from functions.commands import main
from functions.config import Config
from functions.core import crypto
from functions.keys import DEV_PASSPHRASE, ensure_dev_keypair, keys_dir, load_public_key


def test_generate_asks_twice_writes_both_files_and_never_overwrites(runner, tmp_path):
    private, public = tmp_path / "office.key", tmp_path / "office.pub"
    args = ["keys", "generate", "--private-key", str(private), "--public-key", str(public), "--kdf", "interactive"]
    mismatch = runner.invoke(main, args, input="mot cau mat khau dai\nkhac hoan toan\nmot cau mat khau dai\nmot cau mat khau dai\n",
                             env={"BVTE_NEW_PASSPHRASE_FILE": None})
    assert mismatch.exit_code == 0, mismatch.output  # click asks again after a mismatch
    assert "Nhập lại" in mismatch.output
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    public_text = public.read_text().strip()
    assert f"BVTE_PUBLIC_KEY={public_text}" in mismatch.output
    document = json.loads(private.read_text())
    assert document["kdf"] == "argon2id" and "encrypted_private_key" in document
    assert "mot cau mat khau dai" not in private.read_text()
    key = crypto.unlock_private_key(private.read_bytes(), "mot cau mat khau dai")
    assert crypto.public_key_text(key.public_key) == public_text
    with pytest.raises(crypto.CryptoError):
        crypto.unlock_private_key(private.read_bytes(), "sai mat khau roi")

    before = private.read_bytes()
    other = tmp_path / "other-pass"
    other.write_text("mot cau mat khau khac\n", encoding="utf-8")
    again = runner.invoke(main, args, env={"BVTE_NEW_PASSPHRASE_FILE": str(other)})
    assert again.exit_code != 0 and "không ghi đè" in again.output
    assert private.read_bytes() == before


def test_generate_refuses_a_short_passphrase(runner, tmp_path):
    short = tmp_path / "short-pass"
    short.write_text("ngan\n", encoding="utf-8")
    result = runner.invoke(main, ["keys", "generate", "--private-key", str(tmp_path / "k"), "--public-key",
                                  str(tmp_path / "p"), "--kdf", "interactive"], env={"BVTE_NEW_PASSPHRASE_FILE": str(short)})
    assert result.exit_code != 0 and "ít nhất" in result.output
    assert not (tmp_path / "k").exists()


def test_default_strength_is_argon2id_moderate(tmp_path):
    key = crypto.generate_keypair().private
    document = json.loads(crypto.protect_private_key(key, "mot cau mat khau dai"))
    ops, mem = crypto.KDF_LEVELS["moderate"]
    assert (document["opslimit"], document["memlimit"]) == (ops, mem)
    assert mem >= 256 * 1024 * 1024


def test_dev_keypair_is_created_once_and_only_without_a_configured_key(tmp_path):
    config = Config(data_dir=tmp_path / "var")
    created = ensure_dev_keypair(config)
    assert created == keys_dir(config)
    assert DEV_PASSPHRASE in (created / "KHOA-PHAT-TRIEN.txt").read_text()
    private = crypto.unlock_private_key((created / "office.key").read_bytes(), DEV_PASSPHRASE)
    assert bytes(load_public_key(config)) == bytes(private.public_key)
    assert ensure_dev_keypair(config) is None  # second run: nothing new

    configured = Config(data_dir=tmp_path / "other", public_key=crypto.public_key_text(crypto.generate_keypair().public))
    assert ensure_dev_keypair(configured) is None
    assert not keys_dir(configured).exists()


def test_serve_prepare_reports_the_dev_pair(tmp_path):
    from functions.commands.serve import prepare

    notes = prepare(Config(data_dir=tmp_path / "var"))
    assert any("PHÁT TRIỂN" in note for note in notes)
    assert prepare(Config(data_dir=tmp_path / "var")) == []


def test_a_malformed_public_key_is_refused_with_a_clear_message():
    with pytest.raises(crypto.CryptoError, match="base64"):
        crypto.public_key_from_text("không phải khóa")
    with pytest.raises(crypto.CryptoError, match="32"):
        crypto.public_key_from_text("YWJj")


def test_development_keys_cost_the_least_and_no_command_offers_that_cost_for_a_real_key(tmp_path, runner):
    """The development office's keys (passphrase printed and written beside them) are made at libsodium's
    least Argon2id cost, so they open at once; a key made by a command never can be."""
    import nacl.pwhash

    from functions.keys import DEV_ROOT_KEY_NAME, dev_officer_key, ensure_dev_office

    least = (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
    config = Config(data_dir=tmp_path / "var")
    folder = ensure_dev_office(config)
    pair_config = Config(data_dir=tmp_path / "pair")
    pair_folder = ensure_dev_keypair(pair_config)
    for path in (folder / DEV_ROOT_KEY_NAME, dev_officer_key(config), pair_folder / "office.key"):
        document = json.loads(path.read_bytes())
        assert (document["opslimit"], document["memlimit"]) == least, path
    crypto.unlock_private_key((pair_folder / "office.key").read_bytes(), DEV_PASSPHRASE)

    passphrase = tmp_path / "pass"
    passphrase.write_text("mot cau mat khau du dai cho khoa that\n", encoding="utf-8")
    refused = runner.invoke(main, ["keys", "generate", "--private-key", str(tmp_path / "k"), "--public-key",
                                   str(tmp_path / "p"), "--kdf", crypto.DEVELOPMENT_KDF],
                            env={"BVTE_NEW_PASSPHRASE_FILE": str(passphrase)})
    assert refused.exit_code != 0 and not (tmp_path / "k").exists()
    assert crypto.DEVELOPMENT_KDF not in crypto.KDF_LEVELS
