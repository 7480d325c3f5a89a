"""Known/notable hash sets (NSRL, hash lists, TLSH fuzzy lists) in one shared SQLite database."""

from triage.hashsets.store import (
    TLSH_DEFAULT_MAX_DISTANCE,
    FuzzyHit,
    HashSetStore,
    HashSetStoreError,
    ImportReport,
    SetInfo,
    default_db_path,
)

__all__ = [
    "TLSH_DEFAULT_MAX_DISTANCE",
    "FuzzyHit",
    "HashSetStore",
    "HashSetStoreError",
    "ImportReport",
    "SetInfo",
    "default_db_path",
]
