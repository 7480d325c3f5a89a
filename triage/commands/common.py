"""What every command shares: exit codes, output streams, one-line errors.

Data goes to stdout, progress and warnings to stderr; an examiner never sees
a traceback unless they asked for one with ``--debug``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from triage.case.reader import CaseReader

#: every item scanned (per-file problems are recorded in the case's errors table)
EXIT_OK = 0
#: some items scanned, at least one failed entirely (or verification mismatch)
EXIT_PARTIAL = 1
#: bad usage (click's own code)
EXIT_USAGE = 2
#: nothing was scanned: every item failed, or nothing to verify against
EXIT_FAILED = 3
#: the job could not start: unusable case database, rules that do not compile, bad plugin set
EXIT_SETUP = 4


class SetupError(click.ClickException):
    exit_code = EXIT_SETUP


class EvidenceFailed(click.ClickException):
    exit_code = EXIT_FAILED


class UsageLine(click.ClickException):
    """Bad usage told in one line (click's UsageError would print the usage block too)."""

    exit_code = EXIT_USAGE


def open_reader(case: str, evidence_ids: Sequence[str] = ()) -> CaseReader:
    """The case for a command that reads it: one line and exit 4 when it cannot be read, 2 for an unknown exhibit."""
    from triage.case.reader import open_case
    from triage.case.schema import SchemaError

    try:
        reader = open_case(case)
    except SchemaError as exc:
        raise SetupError(str(exc)) from None
    unknown = reader.unknown_evidence(list(evidence_ids))
    if unknown:
        have = ", ".join(reader.evidence_ids()) or "none"
        reader.close()
        raise UsageLine(f"{case}: no evidence {', '.join(map(repr, unknown))} in this case (it holds: {have})")
    return reader


def evidence_error(exc: Exception) -> click.ClickException:
    return EvidenceFailed(str(exc))


def out(line: str) -> None:
    click.echo(line)


def console_err(line: str) -> None:
    click.echo(line, err=True)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
