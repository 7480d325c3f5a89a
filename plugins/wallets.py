"""Cryptocurrency wallet files: Bitcoin Core, Electrum, Ethereum keystores, MetaMask, Exodus, Atomic.

A wallet on a suspect's disk is a lead to funds that can be restrained, so
the examiner needs to know it exists, what kind it is, whether a password
protects it and which addresses or public keys can be read without one
(those can be looked up on a block explorer straight away). Nothing is
decrypted; private keys are never copied into the case.
"""

from __future__ import annotations

import base64
import json
import mmap
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.plugin_api import Artefact, Entry, hookimpl
from triage_plugins._sqlite_copy import SQLITE_MAGIC, open_copy


BDB_BTREE_MAGIC = 0x00053162
METAMASK_IDS = {
    "nkbihfbeogaeaoehlefnkodbefgpgknn",  # Chrome Web Store
    "ejbalbakoplchlghecdalmeeeajnimhm",  # Edge Add-ons
}
JSON_MAX = 64 * 1024 * 1024
SCAN_MAX = 64 * 1024 * 1024
MAX_LIST = 1000  # addresses/keys kept per wallet

# Bitcoin Core record types (key = compact-size string type, then the type's key data).
_XPUB = re.compile(rb"[xyzt]pub[1-9A-HJ-NP-Za-km-z]{100,112}")
_ETH_ADDR = re.compile(rb'(?:\\?"address\\?"\s*:\s*\\?")(0x[0-9a-fA-F]{40})')
_VAULT = re.compile(
    rb'\\?"vault\\?"\s*:\s*\\?"(\{.{0,40}?data.{1,20000}?salt[^}]{0,200}\})', re.DOTALL)


def _compact(buf: bytes, pos: int) -> tuple[int, int]:
    """Bitcoin's CompactSize length prefix: (value, new position)."""
    first = buf[pos]
    if first < 253:
        return first, pos + 1
    width = {253: 2, 254: 4, 255: 8}[first]
    return int.from_bytes(buf[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def _string(buf: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = _compact(buf, pos)
    if pos + n > len(buf):
        raise ValueError("short record")
    return buf[pos : pos + n], pos + n


class _BitcoinRecords:
    """Collects what Bitcoin Core key/value records show without a password."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.public_keys: list[str] = []
        self.descriptors: list[str] = []
        self.labels: dict[str, str] = {}
        self.encrypted = False
        self.records = 0
        self.version: int | None = None
        self.hd = False

    def _add(self, target: list[str], value: str) -> None:
        if value and value not in target and len(target) < MAX_LIST:
            target.append(value)

    def feed(self, key: bytes, value: bytes) -> None:
        try:
            kind, rest = _string(key, 0)
        except (ValueError, IndexError, KeyError):
            return
        if not kind.isascii() or not kind.isalpha():
            return
        self.records += 1
        try:
            if kind in (b"name", b"purpose"):
                addr = _string(key, rest)[0].decode("ascii", "replace")
                self._add(self.addresses, addr)
                if kind == b"name":
                    self.labels[addr] = _string(value, 0)[0].decode("utf-8", "replace") if value else ""
            elif kind in (b"key", b"ckey", b"keymeta", b"wkey"):
                pub = _string(key, rest)[0]
                if len(pub) in (33, 65):
                    self._add(self.public_keys, pub.hex())
                if kind == b"ckey":
                    self.encrypted = True
            elif kind == b"mkey":
                self.encrypted = True
            elif kind == b"walletdescriptor":
                desc = _string(value, 0)[0].decode("ascii", "replace")
                self._add(self.descriptors, desc)
                for xpub in _XPUB.findall(desc.encode()):
                    self._add(self.public_keys, xpub.decode())
            elif kind == b"walletdescriptorckey":
                self.encrypted = True
            elif kind == b"hdchain":
                self.hd = True
            elif kind == b"version" and len(value) >= 4:
                self.version = struct.unpack("<I", value[:4])[0]
        except (ValueError, IndexError, KeyError):
            return


def _bdb_items(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Key/value pairs from every B-tree leaf page of a Berkeley DB file.

    Walks pages rather than the tree so records on freed pages are found
    too (they still hold addresses); Bitcoin Core's wallet.dat is a btree
    holding a "main" sub-database, which this also reads.
    """
    if len(data) < 512:
        raise ValueError("too short for a Berkeley DB file")
    magic_le = struct.unpack_from("<I", data, 12)[0]
    magic_be = struct.unpack_from(">I", data, 12)[0]
    if magic_le == BDB_BTREE_MAGIC:
        end = "<"
    elif magic_be == BDB_BTREE_MAGIC:
        end = ">"
    else:
        raise ValueError("not a Berkeley DB btree file (magic 0x00053162 missing at offset 12)")
    page_size = struct.unpack_from(end + "I", data, 20)[0]
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        raise ValueError(f"implausible Berkeley DB page size {page_size}")
    npages = len(data) // page_size

    def overflow(pgno: int, total: int) -> bytes:
        out = bytearray()
        seen = 0
        while pgno and pgno < npages and len(out) < total and seen < npages:
            base = pgno * page_size
            used = struct.unpack_from(end + "H", data, base + 22)[0]
            out += data[base + 26 : base + 26 + used]
            pgno = struct.unpack_from(end + "I", data, base + 16)[0]
            seen += 1
        return bytes(out[:total])

    def item(base: int, off: int) -> bytes | None:
        pos = base + off
        if off < 26 or off + 3 > page_size:
            return None
        length, itype = struct.unpack_from(end + "HB", data, pos)
        itype &= 0x7F  # high bit marks a deleted item
        if itype == 1:  # B_KEYDATA
            return data[pos + 3 : pos + 3 + length]
        if itype == 3:  # B_OVERFLOW
            pgno, tlen = struct.unpack_from(end + "II", data, pos + 4)
            return overflow(pgno, tlen)
        return None

    if len(data) % page_size:
        raise ValueError("truncated Berkeley DB file (size is not a multiple of the page size)")
    for pg in range(1, npages):
        base = pg * page_size
        ptype = data[base + 25]
        if ptype != 5:  # P_LBTREE
            continue
        entries = struct.unpack_from(end + "H", data, base + 20)[0]
        if entries * 2 + 26 > page_size:
            continue
        offs = struct.unpack_from(end + f"{entries}H", data, base + 26)
        for i in range(0, entries - 1, 2):
            k, v = item(base, offs[i]), item(base, offs[i + 1])
            if k is not None and v is not None:
                yield k, v


def _read_bounded(path: Path, limit: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name}: larger than {limit} bytes")
    return data


class WalletParser:
    """Wallet files of the common desktop and browser-extension wallets."""

    name = "wallets"
    version = "1.0.0"
    kind = "file"
    emits = ("crypto_wallet",)
    max_bytes = 512 * 1024 * 1024
    companion_suffixes = ("-wal", "-journal")

    # -- routing -----------------------------------------------------------
    def _kind(self, entry: Entry) -> str | None:
        low = entry.path.replace("\\", "/").lower()
        name = entry.name.lower()
        if name == "wallet.dat" or (name.endswith(".dat") and "/bitcoin/" in low and "wallet" in name):
            return "bitcoin_core"
        if name.startswith("utc--") and len(name) > 40:
            return "ethereum_keystore"
        if "/electrum/wallets/" in low or "/.electrum/wallets/" in low or "/electrum-ltc/wallets/" in low:
            return "electrum"
        ext = entry.extension
        if ext in (".ldb", ".log") and any(f"/{i}/" in low for i in METAMASK_IDS):
            return "metamask"
        if "/exodus.wallet/" in low and name in ("seed.seco", "passphrase.json", "info.seco"):
            return "exodus"
        if "/atomic/local storage/leveldb/" in low and ext in (".ldb", ".log"):
            return "atomic"
        return None

    def wants(self, entry: Entry, mime: str | None) -> bool:
        if entry.type not in ("regular", "virtual", "unknown") or entry.stream:
            return False
        return self._kind(entry) is not None

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        kind = self._kind(entry)
        if kind == "bitcoin_core":
            yield self._bitcoin(path, entry)
        elif kind == "ethereum_keystore":
            yield self._keystore(path, entry)
        elif kind == "electrum":
            yield self._electrum(path, entry)
        elif kind == "metamask":
            yield from self._metamask(path, entry)
        elif kind == "exodus":
            yield self._exodus(path, entry)
        elif kind == "atomic":
            yield from self._atomic(path, entry)

    def _art(self, value: str, wallet_type: str, encrypted: bool | None, addresses: list[str],
             public_keys: list[str], **extra: Any) -> Artefact:
        return Artefact(
            type="crypto_wallet",
            value=value,
            raw=value,
            plugin=self.name,
            plugin_version=self.version,
            extra={"wallet_type": wallet_type, "encrypted": encrypted, "addresses": addresses[:MAX_LIST],
                   "public_keys": public_keys[:MAX_LIST], **extra},
        )

    # -- Bitcoin Core ------------------------------------------------------
    def _bitcoin(self, path: Path, entry: Entry) -> Artefact:
        with open(path, "rb") as fh:
            head = fh.read(16)
        recs = _BitcoinRecords()
        if head == SQLITE_MAGIC:
            fmt = "sqlite"
            with open_copy(path) as conn:
                if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='main'").fetchone():
                    raise ValueError(f"{path.name}: SQLite file without the wallet's 'main' table")
                for key, value in conn.execute("SELECT key, value FROM main"):
                    recs.feed(bytes(key or b""), bytes(value or b""))
        else:
            fmt = "berkeleydb"
            if path.stat().st_size == 0:
                raise ValueError(f"{path.name}: empty file")
            # Mapped, not read: a wallet.dat can be hundreds of MiB of old key pool.
            with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                for key, value in _bdb_items(mm):  # type: ignore[arg-type]
                    recs.feed(key, value)
        if recs.records == 0:
            raise ValueError(f"{path.name}: no Bitcoin Core wallet records found")
        return self._art(entry.path, "bitcoin_core", recs.encrypted, recs.addresses, recs.public_keys,
                         format=fmt, descriptors=recs.descriptors[:MAX_LIST], labels=recs.labels,
                         hd=recs.hd, wallet_version=recs.version, records=recs.records)

    # -- Ethereum keystore (geth, MyEtherWallet, Mist...) -------------------
    def _keystore(self, path: Path, entry: Entry) -> Artefact:
        try:
            doc = json.loads(_read_bounded(path, 1024 * 1024))
        except ValueError as exc:
            raise ValueError(f"{path.name}: not a JSON keystore: {exc}") from exc
        crypto = doc.get("crypto") or doc.get("Crypto") if isinstance(doc, dict) else None
        if not isinstance(crypto, dict):
            raise ValueError(f"{path.name}: keystore without a crypto section")
        addr = str(doc.get("address") or "").lower()
        if addr and not addr.startswith("0x"):
            addr = "0x" + addr
        if not addr:
            m = re.search(r"--([0-9a-fA-F]{40})$", entry.name)
            addr = "0x" + m.group(1).lower() if m else ""
        return self._art(entry.path, "ethereum_keystore", True, [addr] if addr else [], [],
                         keystore_version=doc.get("version"), kdf=crypto.get("kdf"),
                         cipher=crypto.get("cipher"), id=doc.get("id"))

    # -- Electrum ------------------------------------------------------------
    def _electrum(self, path: Path, entry: Entry) -> Artefact:
        data = _read_bounded(path, JSON_MAX).strip()
        if data.startswith((b"QklFM", b"BIE1")):
            # Whole-file encryption: base64 of "BIE1" + ECIES payload.
            try:
                magic = base64.b64decode(data[:8])[:4] if not data.startswith(b"BIE1") else b"BIE1"
            except ValueError:
                magic = b""
            return self._art(entry.path, "electrum", True, [], [], file_encrypted=True,
                             format=magic.decode("ascii", "replace"))
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"{path.name}: neither Electrum JSON nor an encrypted Electrum wallet") from exc
        if not isinstance(doc, dict) or not ("wallet_type" in doc or "keystore" in doc or "seed_version" in doc):
            raise ValueError(f"{path.name}: JSON without Electrum wallet keys")
        addresses: list[str] = []
        addrs = doc.get("addresses")
        if isinstance(addrs, dict):
            for side in ("receiving", "change"):
                for a in addrs.get(side) or []:
                    if isinstance(a, str) and a not in addresses:
                        addresses.append(a)
        elif isinstance(addrs, list):
            addresses = [a for a in addrs if isinstance(a, str)]
        pubs: list[str] = []
        keystores = [v for k, v in doc.items() if (k == "keystore" or re.fullmatch(r"x\d+/", k))
                     and isinstance(v, dict)]
        for ks in keystores:
            if isinstance(ks.get("xpub"), str):
                pubs.append(ks["xpub"])
        encrypted = bool(doc.get("use_encryption"))
        return self._art(entry.path, "electrum", encrypted, addresses, pubs,
                         electrum_wallet_type=doc.get("wallet_type"), seed_version=doc.get("seed_version"),
                         keystore_types=[ks.get("type") for ks in keystores], file_encrypted=False,
                         labels=doc.get("labels") if isinstance(doc.get("labels"), dict) else {})

    # -- MetaMask (browser extension LevelDB) ---------------------------------
    def _metamask(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        data = _read_bounded(path, SCAN_MAX)
        vaults = []
        for m in _VAULT.finditer(data):
            blob = m.group(1).replace(b'\\"', b'"').replace(b"\\\\", b"\\")
            info: dict[str, Any] = {"offset": m.start()}
            try:
                doc = json.loads(blob)
                info.update({"kdf_iterations": (doc.get("keyMetadata") or {}).get("params", {}).get("iterations"),
                             "has_iv": "iv" in doc, "has_salt": "salt" in doc})
            except ValueError:
                info["parse_error"] = True
            vaults.append(info)
        addresses: list[str] = []
        for m in _ETH_ADDR.finditer(data):
            a = m.group(1).decode().lower()
            if a not in addresses:
                addresses.append(a)
        if not vaults and not addresses:
            return
        yield self._art(entry.path, "metamask", True if vaults else None, addresses, [],
                        vaults=vaults[:20], vault_found=bool(vaults),
                        extension_id=next((i for i in METAMASK_IDS if i in entry.path), None))

    # -- Exodus / Atomic ---------------------------------------------------------
    def _exodus(self, path: Path, entry: Entry) -> Artefact:
        with open(path, "rb") as fh:
            head = fh.read(4)
        folder = entry.path.rsplit("/", 1)[0]
        note = None
        if entry.name.lower() == "passphrase.json":
            note = "passphrase.json present: Exodus may open this wallet without the user's password"
        return self._art(folder, "exodus", True, [], [], file=entry.name, seco=head == b"SECO", note=note)

    def _atomic(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        data = _read_bounded(path, SCAN_MAX)
        mnemonic = b"general_mnemonic" in data
        if not mnemonic and b"_file://" not in data:
            return
        folder = entry.path.rsplit("/", 1)[0]
        yield self._art(folder, "atomic", True if mnemonic else None, [], [], file=entry.name,
                        encrypted_mnemonic_found=mnemonic)


@hookimpl
def triage_extractors() -> list[object]:
    return [WalletParser()]
