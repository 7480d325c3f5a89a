"""Wallet files: Bitcoin Core (Berkeley DB and SQLite), Electrum, keystore, MetaMask, Exodus."""

from __future__ import annotations

import pytest
from triage_plugins.wallets import WalletParser

from .conftest import FIXTURES, entry

P = WalletParser()
KS = "UTC--2024-03-01T14-00-00.000000000Z--7e5f4552091a69125d5dfcb7b8c2659029395bdf"
MM = ("/Users/a/AppData/Local/Google/Chrome/User Data/Default/Local Extension Settings/"
      "nkbihfbeogaeaoehlefnkodbefgpgknn/000003.log")


def one(rel: str, evidence_path: str):
    (a,) = list(P.parse(FIXTURES / rel, entry(evidence_path)))
    assert a.type == "crypto_wallet" and a.plugin == "wallets"
    return a


def test_bitcoin_core_berkeley_db():
    a = one("wallets/bdb/wallet.dat", "/Users/a/AppData/Roaming/Bitcoin/wallet.dat")
    assert (FIXTURES / "wallets/bdb/wallet.dat").read_bytes()[12:16] == b"\x62\x31\x05\x00"
    assert a.value == "/Users/a/AppData/Roaming/Bitcoin/wallet.dat"
    assert a.extra["wallet_type"] == "bitcoin_core" and a.extra["format"] == "berkeleydb"
    assert a.extra["encrypted"] is True  # mkey/ckey records
    assert sorted(a.extra["addresses"]) == ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
                                            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]
    assert sorted(a.extra["public_keys"]) == ["02" + "11" * 32, "03" + "22" * 32]
    assert a.extra["labels"]["bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"] == "savings"
    assert a.extra["labels"]["1BoatSLRHtKNngkdXEeobR76b53LETtpyT"] == "L" * 1500  # read from an overflow page
    assert a.extra["hd"] is True and a.extra["wallet_version"] == 169900


def test_bitcoin_core_sqlite_descriptor_wallet(staged):
    path = staged("wallets/descriptor/wallet.dat")
    (a,) = list(P.parse(path, entry("/home/a/.bitcoin/wallets/spend/wallet.dat")))
    assert a.extra["format"] == "sqlite" and a.extra["encrypted"] is False
    assert a.extra["addresses"] == ["bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]
    assert a.extra["public_keys"][0].startswith("xpub6CUGRUon")
    assert a.extra["descriptors"][0].startswith("wpkh([d34db33f/84h/0h/0h]xpub")


def test_truncated_bdb_raises(tmp_path):
    cut = tmp_path / "wallet.dat"
    cut.write_bytes((FIXTURES / "wallets/bdb/wallet.dat").read_bytes()[:6000])
    with pytest.raises(ValueError, match="truncated"):
        list(P.parse(cut, entry("/x/Bitcoin/wallet.dat")))


def test_not_a_wallet_raises(tmp_path):
    junk = tmp_path / "wallet.dat"
    junk.write_bytes(b"\x00" * 8192)
    with pytest.raises(ValueError, match="not a Berkeley DB"):
        list(P.parse(junk, entry("/x/wallet.dat")))


def test_electrum_json_and_encrypted_file():
    a = one("wallets/electrum/default_wallet", "/home/a/.electrum/wallets/default_wallet")
    assert a.extra["wallet_type"] == "electrum" and a.extra["encrypted"] is True
    assert a.extra["addresses"] == ["bc1qreceive00000000000000000000000000000",
                                    "bc1qreceive11111111111111111111111111111",
                                    "bc1qchange000000000000000000000000000000"]
    assert a.extra["public_keys"][0].startswith("xpub")
    assert "ENCRYPTED-XPRV-BLOB" not in repr(a) and "ENCRYPTED-SEED-BLOB" not in repr(a)
    b = one("wallets/electrum/locked_wallet", "/home/a/.electrum/wallets/locked_wallet")
    assert b.extra["encrypted"] is True and b.extra["file_encrypted"] is True and b.extra["addresses"] == []


def test_ethereum_keystore():
    a = one(f"wallets/keystore/{KS}", f"/home/a/.ethereum/keystore/{KS}")
    assert a.extra["wallet_type"] == "ethereum_keystore" and a.extra["encrypted"] is True
    assert a.extra["addresses"] == ["0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"]
    assert a.extra["kdf"] == "scrypt"


def test_metamask_vault_in_leveldb_log():
    a = one("wallets/metamask/000003.log", MM)
    assert a.extra["wallet_type"] == "metamask" and a.extra["vault_found"] is True and a.extra["encrypted"] is True
    assert a.extra["addresses"] == ["0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"]
    assert a.extra["vaults"][0]["kdf_iterations"] == 600000
    assert "c2VjcmV0" not in repr(a)  # the vault ciphertext is not copied


def test_exodus_and_atomic(tmp_path):
    seed = tmp_path / "seed.seco"
    seed.write_bytes(b"SECO" + b"\x00" * 60)
    (a,) = list(P.parse(seed, entry("/Users/a/AppData/Roaming/Exodus/exodus.wallet/seed.seco")))
    assert (a.value, a.extra["wallet_type"], a.extra["seco"]) == (
        "/Users/a/AppData/Roaming/Exodus/exodus.wallet", "exodus", True)
    log = tmp_path / "000005.log"
    log.write_bytes(b"\x00\x00_file://\x00\x01general_mnemonic\x00{\"iv\":\"x\"}")
    (b,) = list(P.parse(log, entry("/Users/a/AppData/Roaming/atomic/Local Storage/leveldb/000005.log")))
    assert b.extra["wallet_type"] == "atomic" and b.extra["encrypted_mnemonic_found"] is True


def test_wants():
    assert P.wants(entry("/Users/a/AppData/Roaming/Bitcoin/wallets/x/wallet.dat"), None)
    assert P.wants(entry(f"/k/{KS}"), None)
    assert P.wants(entry(MM), None)
    assert not P.wants(entry("/Users/a/AppData/Local/Google/Chrome/User Data/Default/Local Extension Settings/"
                             "otherextensionid/000003.log"), None)
    assert not P.wants(entry("/home/a/notes.txt"), None)
