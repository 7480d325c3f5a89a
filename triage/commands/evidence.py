"""`triage info`, `triage ls` and `triage verify`: look at evidence without a case."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click

from triage.case.writer import CaseWriter, iso_utc
from triage.commands.common import EXIT_FAILED, console_err, evidence_error, out
from triage.evidence.containers import EvidenceError, OpenedEvidence, open_evidence
from triage.evidence.volumes import list_volumes, open_fs
from triage.evidence.walk import walk_fs

VERIFY_CHUNK_BYTES = 4 * 1024 * 1024


def describe(opened: OpenedEvidence) -> dict[str, Any]:
    ev = opened.evidence
    layout = list_volumes(opened.img, ev.id)
    vols = []
    for v in layout.volumes:
        d: dict[str, Any] = {
            "addr": v.addr, "kind": v.kind, "offset": v.offset, "length": v.length,
            "description": v.description, "fs_type": v.fs_type,
        }
        if v.fs_type:
            try:
                fs = open_fs(opened.img, v.offset)
                info = fs.info
                d.update(block_size=int(info.block_size), block_count=int(info.block_count),
                         first_block=int(info.first_block), last_block=int(info.last_block),
                         root_inode=int(info.root_inum), first_inode=int(info.first_inum),
                         last_inode=int(info.last_inum))
            except Exception as exc:
                d["fs_error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        vols.append(d)
    return {
        "path": ev.path, "format": ev.format, "size": ev.size, "segments": list(ev.segments),
        "stored_md5": ev.stored_md5, "stored_sha1": ev.stored_sha1,
        "case_number": ev.case_number, "evidence_number": ev.evidence_number, "examiner": ev.examiner,
        "description": ev.description, "notes": ev.notes, "acquired": ev.acquired,
        "volume_system": layout.volume_system, "block_size": layout.block_size,
        "volumes": vols, "errors": [e.message for e in layout.errors],
    }


@click.command("info")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def info_cmd(image: Path, as_json: bool) -> None:
    """Container, size, stored hashes, partitions and file systems of IMAGE (mmls + fsstat)."""
    try:
        with open_evidence(image) as opened:
            data = describe(opened)
    except EvidenceError as exc:
        raise evidence_error(exc) from None
    if as_json:
        out(json.dumps(data, indent=2))
        return
    out(f"Image:        {data['path']}")
    out(f"Format:       {data['format']}  ({len(data['segments'])} segment(s))")
    out(f"Media size:   {data['size']} bytes")
    for k in ("stored_md5", "stored_sha1", "case_number", "evidence_number", "examiner", "description", "notes",
              "acquired"):
        if data.get(k):
            out(f"{k.replace('_', ' ').capitalize() + ':':<14}{data[k]}")
    out(f"Volume system: {data['volume_system']} (block size {data['block_size']})")
    out(f"{'Slot':>5}  {'Kind':<12}{'Start':>14}{'Length':>14}  {'FS':<9} Description")
    for v in data["volumes"]:
        out(f"{v['addr']:>5}  {v['kind']:<12}{v['offset']:>14}{v['length']:>14}  {(v['fs_type'] or '-'):<9} "
            f"{v['description']}")
        if v.get("block_count"):
            out(f"{'':>7}fs: {v['block_count']} blocks of {v['block_size']} bytes, inodes "
                f"{v['first_inode']}-{v['last_inode']}, root {v['root_inode']}")
    for e in data["errors"]:
        out(f"warning: {e}")


@click.command("ls")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path", required=False, default="/")
@click.option("--deleted", "-d", is_flag=True, help="Only deleted entries.")
@click.option("--volume", type=int, default=None, help="Only the volume with this slot number (see info).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def ls_cmd(image: Path, path: str, deleted: bool, volume: int | None, as_json: bool) -> None:
    """List entries of IMAGE recursively under PATH, like fls -r (deleted marked with *)."""
    prefix = "/" + path.strip("/")
    try:
        with open_evidence(image) as opened:
            layout = list_volumes(opened.img, opened.evidence.id)
            for vol in layout.volumes:
                if not vol.fs_type or (volume is not None and vol.addr != volume):
                    continue
                fs = open_fs(opened.img, vol.offset)
                errors: list[Any] = []
                for entry, _reader in walk_fs(fs, vol.addr, errors):
                    if deleted and not entry.deleted:
                        continue
                    if prefix != "/" and not (entry.path == prefix or entry.path.startswith(prefix + "/")):
                        continue
                    if as_json:
                        out(json.dumps({"volume": vol.addr, "path": entry.path, "inode": entry.inode,
                                        "type": entry.type, "size": entry.size, "deleted": entry.deleted,
                                        "mtime": iso_utc(entry.mtime), "crtime": iso_utc(entry.crtime)}))
                    else:
                        t = {"dir": "d", "regular": "r", "link": "l", "virtual": "v", "virtual_dir": "V"}.get(
                            entry.type, "-")
                        mark = "*" if entry.deleted else " "
                        out(f"{t}/{t} {mark} {entry.inode if entry.inode is not None else '-':>8}  "
                            f"{entry.size:>12}  {iso_utc(entry.mtime) or '':<20}  vol{vol.addr}:{entry.path}")
                for err in errors:
                    console_err(f"warning: {err.path}: {err.message}")
    except EvidenceError as exc:
        raise evidence_error(exc) from None


def compute_media_hashes(opened: OpenedEvidence) -> tuple[str, str]:
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    size = opened.img.get_size()
    pos = 0
    while pos < size:
        data = opened.img.read(pos, min(VERIFY_CHUNK_BYTES, size - pos))
        if not data:
            raise EvidenceError(f"read failed at offset {pos} of {size}")
        md5.update(data)
        sha1.update(data)
        pos += len(data)
    return md5.hexdigest(), sha1.hexdigest()


def verify_evidence(opened: OpenedEvidence) -> dict[str, Any]:
    ev = opened.evidence
    md5, sha1 = compute_media_hashes(opened)
    checks = []
    if ev.stored_md5:
        checks.append(ev.stored_md5.lower() == md5)
    if ev.stored_sha1:
        checks.append(ev.stored_sha1.lower() == sha1)
    verdict = "no-stored-hash" if not checks else ("match" if all(checks) else "mismatch")
    return {"evidence_id": ev.id, "path": ev.path, "format": ev.format, "computed_md5": md5, "computed_sha1": sha1,
            "stored_md5": ev.stored_md5, "stored_sha1": ev.stored_sha1, "verified": verdict}


@click.command("verify")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "case_db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record the result in this case database's evidence table.")
@click.option("--evidence-id", default=None, help="Evidence id in the case (default: from the file name).")
@click.option("--json", "as_json", is_flag=True)
def verify_cmd(image: Path, case_db: Path | None, evidence_id: str | None, as_json: bool) -> None:
    """Recompute IMAGE's MD5/SHA-1 over the media and compare with the hashes stored at acquisition.

    Exit 0 on a match, 1 on a mismatch, 3 when the image stores no hash to compare.
    """
    try:
        with open_evidence(image, evidence_id) as opened:
            result = verify_evidence(opened)
            if case_db is not None:
                writer = CaseWriter(case_db)
                if writer.evidence_status(opened.evidence.id) is None:
                    writer.upsert_evidence(opened.evidence, None, "registered")
                writer.record_verification(opened.evidence.id, result["computed_md5"], result["computed_sha1"],
                                           result["verified"])
                writer.close()
    except EvidenceError as exc:
        raise evidence_error(exc) from None
    if as_json:
        out(json.dumps(result, indent=2))
    else:
        out(f"computed MD5:  {result['computed_md5']}   stored: {result['stored_md5'] or '-'}")
        out(f"computed SHA1: {result['computed_sha1']}   stored: {result['stored_sha1'] or '-'}")
        out(f"verification:  {result['verified']}")
    if result["verified"] == "mismatch":
        raise SystemExit(1)
    if result["verified"] == "no-stored-hash":
        raise SystemExit(EXIT_FAILED)
