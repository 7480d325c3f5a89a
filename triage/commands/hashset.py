"""``triage hashset``: import, list and query the shared hash-set database.

Why errors are one line: examiners run these from scripts and shells; a
traceback hides the actionable part ("file not found", "kind mismatch").
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

import click

from triage.hashsets.importers import FORMATS
from triage.hashsets.store import (
    TLSH_DEFAULT_MAX_DISTANCE,
    HashSetStore,
    HashSetStoreError,
    default_db_path,
)

__all__ = ["hashset_group"]

_db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Hash-set database (default: $TRIAGE_HASHSET_DB or ~/.local/share/triage/hashsets.db).",
)


def _open(db: Path | None, readonly: bool) -> HashSetStore:
    path = db or default_db_path()
    try:
        return HashSetStore(path, readonly=readonly)
    except (HashSetStoreError, sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@click.group("hashset", help="Manage known/notable hash sets (NSRL, hash lists, TLSH lists).")
def hashset_group() -> None:
    pass


@hashset_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Set name (re-importing the same name adds only new hashes).")
@click.option("--kind", required=True, type=click.Choice(["known", "notable"]))
@click.option("--format", "fmt", default="auto", show_default=True, type=click.Choice(list(FORMATS)))
@_db_option
def import_cmd(file: Path, name: str, kind: str, fmt: str, db: Path | None) -> None:
    """Import FILE into the hash-set database."""
    store = _open(db, readonly=False)
    try:
        rep = store.import_file(file, name=name, kind=kind, fmt=fmt)
    except (HashSetStoreError, sqlite3.Error, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"{rep.name} ({rep.kind}, {rep.format}): {rep.added} added, "
               f"{rep.duplicates} duplicates, {rep.malformed} malformed")
    for ex in rep.malformed_examples:
        click.echo(f"  malformed {ex}")


@hashset_group.command("list")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_cmd(db: Path | None, as_json: bool) -> None:
    """List the sets with counts and import dates."""
    path = db or default_db_path()
    if not path.exists():
        sets = []
    else:
        store = _open(path, readonly=True)
        try:
            sets = store.sets()
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps([asdict(s) for s in sets], indent=2))
        return
    if not sets:
        click.echo("no hash sets")
        return
    for s in sets:
        click.echo(f"{s.name:<30} {s.kind:<8} {s.count:>12,} hashes  {s.format or '':<9} "
                   f"imported {s.imported or '?'}  malformed {s.malformed}")


@hashset_group.command("lookup")
@click.argument("hash_value", metavar="HASH")
@_db_option
@click.option("--max-distance", type=int, default=TLSH_DEFAULT_MAX_DISTANCE, show_default=True,
              help="TLSH distance threshold (TLSH digests only).")
def lookup_cmd(hash_value: str, db: Path | None, max_distance: int) -> None:
    """Look up an MD5/SHA-1/SHA-256 (or TLSH) digest in every set."""
    store = _open(db, readonly=True)
    try:
        from triage.hashsets.importers import classify, normalise_tlsh

        if classify(hash_value):
            hits = [(h, "") for h in store.lookup_value(hash_value)]
        elif normalise_tlsh(hash_value):
            hits = [(f.hit, f.label) for f in store.lookup_tlsh_detailed(hash_value, max_distance)]
        else:
            raise click.ClickException(f"not an md5/sha1/sha256/TLSH digest: {hash_value!r}")
    except HashSetStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if not hits:
        click.echo("not found")
        return
    for h, label in hits:
        extra = f" distance {h.distance}" if h.distance is not None else ""
        extra += f" label {label!r}" if label else ""
        click.echo(f"{h.set_name} ({h.kind}) {h.algorithm} {h.value}{extra}")
