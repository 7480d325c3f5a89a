"""``kml``: photo GPS points (``exif_gps`` artefacts) as KML 2.2, for Google Earth and GIS tools.

One ``Placemark`` per ``exif_gps`` artefact: its name is the photo's file
name, its description the exhibit, path, SHA-256, camera and times, its
``TimeStamp`` the GPS time (UTC) when the photo has one, its ``Point`` the
longitude, latitude and altitude (metres) the EXIF block holds. Everything
from the evidence is XML-escaped; characters XML 1.0 cannot carry (control
characters, lone surrogates) are written as ``\\xNN`` text. A point whose
coordinates are not numbers in range (latitude -90..90, longitude
-180..180) is left out and counted in the manifest notes. Written as a
stream: the document is never held whole.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from triage.export import ExportOptions

if TYPE_CHECKING:
    from triage.case.reader import ArtefactRow, CaseReader

__all__ = ["KML_FILE", "export", "placemark", "xml_text"]

KML_FILE = "photos.kml"
KML_NS = "http://www.opengis.net/kml/2.2"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Text safe inside an XML element or attribute: escaped, and only characters XML 1.0 allows."""
    text = "" if value is None else str(value)
    text = _NOT_XML.sub(lambda m: "".join(f"\\x{b:02x}" for b in m.group(0).encode("utf-8", "surrogatepass")),
                        text)
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _coordinates(a: ArtefactRow) -> tuple[float, float, float | None] | None:
    extra = a.extra if isinstance(a.extra, dict) else {}
    lat, lon = _number(extra.get("latitude")), _number(extra.get("longitude"))
    if lat is None or lon is None:  # fall back on the value, "lat,lon"
        try:
            lat_s, lon_s = a.value.split(",", 1)
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            return None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon, _number(extra.get("altitude"))


def placemark(a: ArtefactRow) -> str | None:
    """One Placemark, or None when the artefact has no usable coordinates."""
    coords = _coordinates(a)
    if coords is None:
        return None
    lat, lon, alt = coords
    extra = a.extra if isinstance(a.extra, dict) else {}
    path = a.file_path or ""
    name = path.rsplit("/", 1)[-1] or f"artefact {a.id}"
    lines = [f"exhibit: {a.evidence_id}", f"path: {path}", f"sha256: {a.file_sha256 or ''}",
             f"latitude, longitude: {lat:.6f}, {lon:.6f}"]
    if alt is not None:
        lines.append(f"altitude: {alt} m")
    for key in ("timestamp", "original_time", "make", "model"):
        if extra.get(key) is not None:
            lines.append(f"{key}: {extra[key]}")
    lines.append(f"artefact id: {a.id}")
    point = f"{lon!r},{lat!r}" + (f",{alt!r}" if alt is not None else "")
    when = f"    <TimeStamp><when>{xml_text(a.timestamp)}</when></TimeStamp>\n" if a.timestamp else ""
    return (f'  <Placemark id="artefact-{a.id}">\n'
            f"    <name>{xml_text(name)}</name>\n"
            f"    <description>{xml_text(chr(10).join(lines))}</description>\n"
            f"{when}"
            f"    <Point><coordinates>{point}</coordinates></Point>\n"
            f"  </Placemark>\n")


def export(reader: CaseReader, out: Path, options: ExportOptions, counts: dict[str, int | None] | None = None,
           notes: list[str] | None = None) -> list[Path]:
    """``photos.kml``: a Placemark per photo GPS point of the exhibits asked for."""
    path = out / KML_FILE
    n = skipped = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}">\n<Document>\n'
                 "  <name>triage: photo GPS points</name>\n")
        for a in reader.iter_artefacts(options.evidence_ids, types=["exif_gps"]):
            mark = placemark(a)
            if mark is None:
                skipped += 1
                continue
            fh.write(mark)
            n += 1
        fh.write("</Document>\n</kml>\n")
    if counts is not None:
        counts[path.name] = n
    if notes is not None and skipped:
        notes.append(f"kml: {skipped} exif_gps artefact(s) without usable coordinates left out")
    return [path]
