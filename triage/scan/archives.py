"""Moved to :mod:`triage.scan.members` (limits, detect, expand, one module per format); alias for one release."""

from triage.scan.members.detect import (COMPRESSED, MAIL_EXTENSIONS, MAIL_MIMES, SEVEN_ZIP_MIMES, TAR_MIMES, ZIP_MIMES,
                                        archive_kind)
from triage.scan.members.expand import EXPANDERS, iter_members
from triage.scan.members.limits import (CHUNK_BYTES, TEXT_MEMBER, ArchiveLimits, Budget, admit, bounded, bounded_file,
                                        member_entry, peek, safe_name)

__all__ = ["CHUNK_BYTES", "COMPRESSED", "EXPANDERS", "MAIL_EXTENSIONS", "MAIL_MIMES", "SEVEN_ZIP_MIMES", "TAR_MIMES",
           "TEXT_MEMBER", "ZIP_MIMES", "ArchiveLimits", "Budget", "admit", "archive_kind", "bounded", "bounded_file",
           "iter_members", "member_entry", "peek", "safe_name"]
