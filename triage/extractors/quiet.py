"""Third-party parsers' complaints about a damaged file, silenced while they run.

pypdf logs and warns about every broken cross-reference table it repairs:
noise on the examiner's terminal, never a finding (what could not be read
becomes an ``errors`` row). Shared by the PDF text expander and the
document-metadata plugin.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_pypdf"]


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """pypdf's log records and warnings about a broken file, silenced while it runs."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
