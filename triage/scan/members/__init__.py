"""Members of a file, expanded and scanned like files: archives' members and members derived from documents.

- ``limits``: ``ArchiveLimits``, the ``Budget`` of one container, member
  entries, bounded reads: what every expander shares;
- ``detect``: ``archive_kind``, which expander applies (MIME type, first
  bytes, name);
- ``expand``: ``iter_members`` and ``EXPANDERS``, the kind -> expander table;
- ``zip``, ``tar``, ``sevenzip``, ``compressed``: the real archives (ZIP,
  then an office document's text; tar; 7z; gzip, bzip2, xz);
- ``pdf_text``, ``mime_parts``, ``office_text``: derived members (a PDF's
  page text, a mail's decoded MIME parts, OOXML/ODF text with runs joined).

Each expander imports ``limits`` only (the ZIP one also ``office_text``);
``expand`` imports them all: no module imports back up.
"""

from triage.scan.members.detect import archive_kind
from triage.scan.members.expand import EXPANDERS, iter_members
from triage.scan.members.limits import TEXT_MEMBER, ArchiveLimits

__all__ = ["EXPANDERS", "TEXT_MEMBER", "ArchiveLimits", "archive_kind", "iter_members"]
