"""Authorship metadata of office documents and PDFs.

Who wrote a document, who last saved it, with what software and when,
attributes forged invoices, fake identity documents and fraudulent letters
to a person or machine. Formats: OOXML (docx/xlsx/pptx), OpenDocument, PDF,
and legacy OLE2 (doc/xls/ppt, and password-protected OOXML, which is an
OLE2 container). Only metadata is read; bodies are left to the scanners.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree as ET

from triage.plugin_api import Artefact, Entry, hookimpl, quiet_pypdf
from triage_plugins._times import iso


OOXML_EXT = {".docx", ".docm", ".dotx", ".dotm", ".xlsx", ".xlsm", ".xltx", ".xltm", ".pptx", ".pptm", ".potx",
             ".ppsx", ".vsdx"}
ODF_EXT = {".odt", ".ods", ".odp", ".odg", ".ott", ".ots", ".otp"}
OLE_EXT = {".doc", ".dot", ".xls", ".xlt", ".ppt", ".pps", ".pot", ".vsd", ".pub"}
PDF_EXT = {".pdf"}
_ALL_EXT = frozenset(OOXML_EXT | ODF_EXT | OLE_EXT | PDF_EXT)  # wants() runs for every file of a scan
_MIMES = frozenset((
    "application/pdf", "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text"))
XML_MEMBER_MAX = 2 * 1024 * 1024  # metadata parts are a few KiB; a huge one is hostile

NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


class DocumentError(ValueError):
    """A document whose metadata cannot be read (corrupt, encrypted, not the format it claims)."""


def _parse_when(text: str | None) -> str | None:
    """ISO-ish W3CDTF/ODF time → UTC ISO; times without a zone are kept out of ``timestamp``."""
    if not text:
        return None
    t = text.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$", t)
    if not m or not m.group(3):
        return None
    frac = (m.group(2) or "")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        return iso(datetime.fromisoformat(m.group(1) + frac + zone))
    except ValueError:
        return None


def _safe_xml(zf: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > XML_MEMBER_MAX:
        raise DocumentError(f"{name}: {info.file_size} bytes is too large for a metadata part")
    with zf.open(info) as fh:
        data = fh.read(XML_MEMBER_MAX + 1)
    if len(data) > XML_MEMBER_MAX:
        raise DocumentError(f"{name}: larger than it declares")
    # No legitimate metadata part has a DTD; refusing them rules out entity expansion.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DocumentError(f"{name}: DTD in a metadata part refused")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DocumentError(f"{name}: malformed XML: {exc}") from exc


def _find(root: ET.Element | None, path: str) -> str | None:
    if root is None:
        return None
    el = root.find(path, NS)
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


class DocumentParser:
    """Core/app properties, ODF meta.xml, PDF Info/XMP and OLE SummaryInformation."""

    name = "documents"
    version = "1.0.0"
    kind = "file"
    emits = ("document_meta",)
    max_bytes = 1024 * 1024 * 1024
    companion_suffixes: tuple[str, ...] = ()

    def wants(self, entry: Entry, mime: str | None) -> bool:
        if entry.type not in ("regular", "virtual", "unknown") or entry.stream:
            return False
        if entry.name.startswith("~$"):  # Office lock files: owner name only, no properties
            return False
        return entry.extension in _ALL_EXT or mime in _MIMES

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        with open(path, "rb") as fh:
            first = fh.read(1024)
        head = first[:8]
        if head.startswith(b"PK\x03\x04"):
            yield self._zip(path, entry)
        elif head.startswith(b"%PDF") or b"%PDF-" in first:  # some writers put junk before the header
            with quiet_pypdf():  # pypdf's complaints about a damaged file are noise on the examiner's terminal
                meta = self._pdf(path, entry)
            yield meta
        elif head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            yield self._ole(path, entry)
        else:
            raise DocumentError(f"{entry.name}: not a ZIP, PDF or OLE2 document (starts {head[:4]!r})")

    def _art(self, entry: Entry, fmt: str, meta: dict[str, Any], utc: bool = True) -> Artefact:
        """``utc=False`` when the format's times carry no zone (they stay in extra only)."""
        title = meta.get("title")
        ts = (meta.get("modified") or meta.get("created")) if utc else None
        return Artefact(
            type="document_meta",
            value=title or entry.name,
            raw=title or entry.name,
            plugin=self.name,
            plugin_version=self.version,
            timestamp=ts,
            extra={"format": fmt, **{k: v for k, v in meta.items()}},
        )

    # -- OOXML / ODF --------------------------------------------------------
    def _zip(self, path: Path, entry: Entry) -> Artefact:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DocumentError(f"{entry.name}: corrupt ZIP container: {exc}") from exc
        with zf:
            names = set(zf.namelist())
            if "docProps/core.xml" in names or "[Content_Types].xml" in names:
                return self._ooxml(zf, entry)
            if "meta.xml" in names or "mimetype" in names:
                return self._odf(zf, entry)
        raise DocumentError(f"{entry.name}: ZIP without OOXML or ODF metadata parts")

    def _ooxml(self, zf: zipfile.ZipFile, entry: Entry) -> Artefact:
        core = _safe_xml(zf, "docProps/core.xml")
        app = _safe_xml(zf, "docProps/app.xml")
        created_raw = _find(core, "dcterms:created")
        modified_raw = _find(core, "dcterms:modified")
        app_name = _find(app, "ep:Application")
        meta = {
            "title": _find(core, "dc:title"),
            "subject": _find(core, "dc:subject"),
            "author": _find(core, "dc:creator"),
            "last_modified_by": _find(core, "cp:lastModifiedBy"),
            "created": _parse_when(created_raw),
            "modified": _parse_when(modified_raw),
            "last_printed": _parse_when(_find(core, "cp:lastPrinted")),
            "revision": _find(core, "cp:revision"),
            "keywords": _find(core, "cp:keywords"),
            "description": _find(core, "dc:description"),
            "application": app_name,
            "app_version": _find(app, "ep:AppVersion"),
            "company": _find(app, "ep:Company"),
            "template": _find(app, "ep:Template"),
            "total_edit_minutes": _find(app, "ep:TotalTime"),
            "pages": _find(app, "ep:Pages"),
            "encrypted": False,
        }
        ext = entry.extension.lstrip(".") or "ooxml"
        return self._art(entry, ext, meta)

    def _odf(self, zf: zipfile.ZipFile, entry: Entry) -> Artefact:
        root = _safe_xml(zf, "meta.xml")
        m = root.find("office:meta", NS) if root is not None else None
        if m is None:
            raise DocumentError(f"{entry.name}: OpenDocument without office:meta")
        encrypted = False
        manifest = _safe_xml(zf, "META-INF/manifest.xml")
        if manifest is not None:
            encrypted = any(el.tag.endswith("encryption-data") for el in manifest.iter())
        created_raw = _find(m, "meta:creation-date")
        modified_raw = _find(m, "dc:date")
        meta = {
            "title": _find(m, "dc:title"),
            "subject": _find(m, "dc:subject"),
            "author": _find(m, "meta:initial-creator"),
            "last_modified_by": _find(m, "dc:creator"),
            # ODF writes local time without a zone: kept as written, not as a UTC timestamp.
            "created": _parse_when(created_raw) or created_raw,
            "modified": _parse_when(modified_raw) or modified_raw,
            "revision": _find(m, "meta:editing-cycles"),
            "application": _find(m, "meta:generator"),
            "encrypted": encrypted,
        }
        zoned = bool(_parse_when(modified_raw) or _parse_when(created_raw))
        return self._art(entry, entry.extension.lstrip(".") or "odf", meta, utc=zoned)

    # -- PDF -------------------------------------------------------------------
    def _pdf(self, path: Path, entry: Entry) -> Artefact:
        # a file object, not the path: given a path, pypdf reads the whole file (up to max_bytes) into memory
        with open(path, "rb") as fh:
            return self._pdf_from(fh, entry)

    def _pdf_from(self, fh: BinaryIO, entry: Entry) -> Artefact:
        """The metadata of the PDF open in ``fh`` (read while it stays open)."""
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(fh, strict=False)
            encrypted = reader.is_encrypted
            if encrypted and not reader.decrypt(""):
                raise DocumentError(f"{entry.name}: PDF encrypted with a user password")
            info: Any = reader.metadata or {}
            meta: dict[str, Any] = {
                "title": _pdf_text(info.get("/Title")),
                "author": _pdf_text(info.get("/Author")),
                "subject": _pdf_text(info.get("/Subject")),
                "keywords": _pdf_text(info.get("/Keywords")),
                "creator": _pdf_text(info.get("/Creator")),
                "producer": _pdf_text(info.get("/Producer")),
                "created": _pdf_date(info.get("/CreationDate")),
                "modified": _pdf_date(info.get("/ModDate")),
                "created_raw": _pdf_text(info.get("/CreationDate")),
                "modified_raw": _pdf_text(info.get("/ModDate")),
                "pages": len(reader.pages),
                "pdf_version": reader.pdf_header.lstrip("%PDF-") if reader.pdf_header else None,
                "encrypted": encrypted,
            }
            meta["application"] = meta["creator"] or meta["producer"]
            meta["last_modified_by"] = None
            xmp = self._xmp(reader)
            if xmp:
                meta["xmp"] = xmp
                meta["author"] = meta["author"] or (xmp.get("creators") or [None])[0]
                meta["title"] = meta["title"] or xmp.get("title")
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, DocumentError):
                raise
            raise DocumentError(f"{entry.name}: malformed PDF: {type(exc).__name__}: {exc}") from exc
        return self._art(entry, "pdf", meta)

    @staticmethod
    def _xmp(reader: Any) -> dict[str, Any]:
        try:
            x = reader.xmp_metadata
        except Exception:  # XMP is optional and often broken; the Info dictionary stands alone
            return {}
        if x is None:
            return {}
        out: dict[str, Any] = {}
        for key, attr in (("creators", "dc_creator"), ("creator_tool", "xmp_creator_tool"),
                          ("producer", "pdf_producer"), ("document_id", "xmpmm_document_id"),
                          ("instance_id", "xmpmm_instance_id")):
            try:
                val = getattr(x, attr)
            except Exception:
                continue
            if val:
                out[key] = list(val) if isinstance(val, (list, tuple)) else str(val)
        try:
            title = x.dc_title
            if isinstance(title, dict) and title:
                out["title"] = next(iter(title.values()))
        except Exception:
            pass
        for key, attr in (("created", "xmp_create_date"), ("modified", "xmp_modify_date")):
            try:
                val = getattr(x, attr)
            except Exception:
                continue
            if isinstance(val, datetime):
                out[key] = iso(val)
        return out

    # -- OLE2 --------------------------------------------------------------------
    def _ole(self, path: Path, entry: Entry) -> Artefact:
        import olefile

        try:
            ole = olefile.OleFileIO(str(path))
        except (OSError, ValueError) as exc:
            raise DocumentError(f"{entry.name}: corrupt OLE2 file: {exc}") from exc
        with ole:
            streams = {"/".join(s) for s in ole.listdir()}
            if "EncryptedPackage" in streams:
                fmt, encrypted = "ooxml-encrypted", True
            elif "WordDocument" in streams:
                fmt, encrypted = "doc", None
            elif "Workbook" in streams or "Book" in streams:
                fmt, encrypted = "xls", None
            elif "PowerPoint Document" in streams:
                fmt, encrypted = "ppt", None
            elif "VisioDocument" in streams:
                fmt, encrypted = "vsd", None
            else:
                fmt, encrypted = "ole", None
            try:
                m = ole.get_metadata()
            except Exception as exc:  # olefile raises many types on a broken property set
                raise DocumentError(f"{entry.name}: unreadable SummaryInformation: {exc}") from exc

            def t(v: Any) -> str | None:
                if isinstance(v, bytes):
                    v = v.decode("cp1252", "replace")
                return v.replace("\x00", "").strip() or None if isinstance(v, str) else None

            def d(v: Any) -> str | None:
                return iso(v.replace(tzinfo=UTC)) if isinstance(v, datetime) else None

            meta = {
                "title": t(m.title),
                "subject": t(m.subject),
                "author": t(m.author),
                "last_modified_by": t(m.last_saved_by),
                "created": d(m.create_time),
                "modified": d(m.last_saved_time),
                "last_printed": d(m.last_printed),
                "revision": t(m.revision_number),
                "application": t(m.creating_application),
                "company": t(m.company),
                "template": t(m.template),
                "encrypted": encrypted,
            }
        return self._art(entry, fmt, meta)


def _pdf_text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).replace("\x00", "").strip()
    return s or None


def _pdf_date(v: Any) -> str | None:
    """PDF date ``D:YYYYMMDDHHmmSSOHH'mm'`` → UTC ISO (None without a zone or when malformed)."""
    s = _pdf_text(v)
    if not s:
        return None
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?", s)
    if not m:
        return None
    parts = [int(g) if g else dflt for g, dflt in zip(m.groups()[:6], (0, 1, 1, 0, 0, 0))]
    zone = m.group(7)
    if zone is None:
        return None
    try:
        dt = datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=UTC)
    except ValueError:
        return None
    if zone != "Z":
        digits = zone[1:].replace("'", "")
        mins = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        dt = dt - timedelta(minutes=mins) if zone[0] == "+" else dt + timedelta(minutes=mins)
    return iso(dt)


@hookimpl
def triage_extractors() -> list[object]:
    return [DocumentParser()]
