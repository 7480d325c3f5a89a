"""Exports: files other tools and agencies read, written from the case reader.

Every format is one module with one function ``export(reader, out, options)``
that writes into ``out`` (a folder the command has made) and returns the
paths it wrote. The command adds the manifest (SHA-256 of each output,
tool version, run ids, options) after the exporter returns. Exporters
stream: they iterate the reader's ``iter_*`` methods and never hold a
table in memory.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.case.reader import CaseReader

__all__ = ["FORMATS", "ExportOptions", "Exporter", "exporter"]


@dataclass(frozen=True)
class ExportOptions:
    """What every exporter is told: which exhibits, whether card numbers stay whole."""

    evidence_ids: Sequence[str] | None = None   # None: every exhibit of the case
    unmasked: bool = False                      # card numbers whole (default: first six, last four)
    tagged_only: bool = False                   # only tagged files and the findings in them


Exporter = Callable[["CaseReader", Path, ExportOptions], list[Path]]

#: format name -> "module:function"; a module that is not installed makes its format unavailable
FORMATS: dict[str, str] = {
    "csv": "triage.export.tables:export_csv",
    "jsonl": "triage.export.tables:export_jsonl",
    "xlsx": "triage.export.xlsx:export",
    "bodyfile": "triage.export.bodyfile:export",
    "timesketch": "triage.export.timesketch:export",
    "dfxml": "triage.export.dfxml:export",
    "case": "triage.export.case_uco:export",
    "kml": "triage.export.kml:export",
    "canonical": "triage.export.canonical:export",
}


def exporter(name: str) -> Exporter:
    """The export function of one format; ``KeyError`` for a format that does not exist."""
    module_name, func = FORMATS[name].split(":")
    return getattr(importlib.import_module(module_name), func)  # type: ignore[no-any-return]
