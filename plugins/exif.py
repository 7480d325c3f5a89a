"""Camera metadata from JPEG, TIFF (and TIFF-based raw) and HEIC images.

GPS coordinates put a device (and usually a person) at a place and time;
make, model and serial tie a photo to a particular camera or phone, which
matters when linking images across seized devices. Pillow reads the EXIF
block without decoding pixels; HEIC (not readable by Pillow without a
plug-in) is handled by finding its embedded TIFF-format Exif item.
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from struct import error as struct_error
from typing import Any

from PIL import Image, UnidentifiedImageError
from triage.plugin_api import Artefact, Entry, hookimpl
from triage_plugins._times import iso


EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".heic", ".heif", ".dng", ".nef", ".cr2",
              ".arw", ".orf", ".rw2", ".pef", ".srw"}
MIMES = {"image/jpeg", "image/tiff", "image/heic", "image/heif", "image/x-canon-cr2", "image/x-nikon-nef"}
HEIC_SCAN = 8 * 1024 * 1024  # the Exif item sits near the start (before mdat) in phone HEICs

# Tag numbers (TIFF/EXIF 2.32)
MAKE, MODEL, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DT_ORIGINAL, DT_DIGITIZED, OFFSET_ORIGINAL = 0x9003, 0x9004, 0x9011
BODY_SERIAL, LENS_MODEL, LENS_SERIAL, OWNER = 0xA431, 0xA434, 0xA435, 0xA430
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
GPS_ALT_REF, GPS_ALT, GPS_TIME, GPS_DATE = 5, 6, 7, 29

Image.MAX_IMAGE_PIXELS = None  # pixels are never decoded here; only headers are read


class ExifError(ValueError):
    """An image whose EXIF block cannot be read."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def _float(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # raw rational
        num, den = value
        return float(num) / float(den) if den else 0.0
    return float(value)


def _dms(value: Any, ref: Any) -> float | None:
    try:
        if isinstance(value, (tuple, list)) and len(value) == 3:
            deg = _float(value[0]) + _float(value[1]) / 60 + _float(value[2]) / 3600
        else:
            deg = _float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if math.isnan(deg):  # a 0/0 rational
        return None
    r = (_text(ref) or "").upper()[:1]
    return -deg if r in ("S", "W") else deg


def _exif_time(value: Any, offset: Any) -> tuple[str | None, str | None]:
    """(local time as written, UTC ISO time when the offset is recorded)."""
    text = _text(value)
    if not text:
        return None, None
    try:
        local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return text, None
    local_iso = local.strftime("%Y-%m-%dT%H:%M:%S")
    off = _text(offset)
    if off and len(off) >= 6 and off[0] in "+-":
        try:
            delta = timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
            utc = (local - delta) if off[0] == "+" else (local + delta)
            return local_iso, iso(utc.replace(tzinfo=UTC))
        except ValueError:
            pass
    return local_iso, None


def _load_exif(path: Path, ext: str) -> Image.Exif:
    with open(path, "rb") as fh:
        head = fh.read(12)
    is_heif = head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis",
                                                       b"hevc", b"avif")
    if is_heif or (ext in (".heic", ".heif") and head[4:8] == b"ftyp"):
        return _heif_exif(path)
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            exif.get_ifd(EXIF_IFD)  # force sub-IFDs to load while the file is open
            exif.get_ifd(GPS_IFD)
            block = img.info.get("exif")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct_error) as exc:
        raise ExifError(f"{path.name}: cannot read image metadata: {exc}") from exc
    # Pillow silently drops an EXIF block it cannot parse; an examiner must
    # know the block was there (it may have been tampered with).
    if block and len(block) > 14 and not len(exif):
        raise ExifError(f"{path.name}: malformed EXIF block ({len(block)} bytes, no readable tags)")
    return exif


def _heif_exif(path: Path) -> Image.Exif:
    """Find the Exif item's TIFF header inside an ISOBMFF (HEIC) file and parse it."""
    with open(path, "rb") as fh:
        size = path.stat().st_size
        if size == 0:
            raise ExifError(f"{path.name}: empty file")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            limit = min(size, HEIC_SCAN)
            pos = 0
            while True:
                at = mm.find(b"Exif\x00\x00", pos, limit)
                if at < 0:
                    raise ExifError(f"{path.name}: no Exif item found in the HEIF file")
                tiff = mm[at + 6 : at + 6 + 4]
                if tiff in (b"II*\x00", b"MM\x00*"):
                    block = mm[at : min(size, at + 6 + 1024 * 1024)]
                    break
                pos = at + 1
    exif = Image.Exif()
    try:
        exif.load(bytes(block))
        exif.get_ifd(EXIF_IFD)
        exif.get_ifd(GPS_IFD)
    except (OSError, SyntaxError, ValueError, struct_error) as exc:
        raise ExifError(f"{path.name}: malformed Exif item: {exc}") from exc
    return exif


class ExifParser:
    """EXIF device and GPS tags of photos."""

    name = "exif"
    version = "1.0.0"
    kind = "file"
    emits = ("exif_gps", "exif_device")
    max_bytes = 1024 * 1024 * 1024
    companion_suffixes: tuple[str, ...] = ()

    def wants(self, entry: Entry, mime: str | None) -> bool:
        if entry.type not in ("regular", "virtual", "unknown") or entry.stream:
            return False
        return entry.extension in EXTENSIONS or (mime or "") in MIMES

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        exif = _load_exif(path, entry.extension)
        sub = exif.get_ifd(EXIF_IFD) or {}
        gps = exif.get_ifd(GPS_IFD) or {}
        make, model = _text(exif.get(MAKE)), _text(exif.get(MODEL))
        software = _text(exif.get(SOFTWARE))
        original_local, original_utc = _exif_time(sub.get(DT_ORIGINAL) or exif.get(DT_ORIGINAL),
                                                  sub.get(OFFSET_ORIGINAL))
        modified_local, _ = _exif_time(exif.get(DATETIME), None)
        if make or model:
            label = model or ""
            if make and not (model or "").lower().startswith(make.lower().split()[0]):
                label = f"{make} {model or ''}".strip()
            yield Artefact(
                type="exif_device",
                value=label,
                raw=f"{make or ''} {model or ''}".strip(),
                plugin=self.name,
                plugin_version=self.version,
                timestamp=original_utc,
                extra={
                    "make": make,
                    "model": model,
                    "software": software,
                    "original_time": original_local,
                    "original_time_offset": _text(sub.get(OFFSET_ORIGINAL)),
                    "digitized_time": _exif_time(sub.get(DT_DIGITIZED), None)[0],
                    "modified_time": modified_local,
                    "serial": _text(sub.get(BODY_SERIAL)),
                    "lens_model": _text(sub.get(LENS_MODEL)),
                    "lens_serial": _text(sub.get(LENS_SERIAL)),
                    "owner": _text(sub.get(OWNER)),
                },
            )
        if GPS_LAT in gps and GPS_LON in gps:
            lat = _dms(gps.get(GPS_LAT), gps.get(GPS_LAT_REF))
            lon = _dms(gps.get(GPS_LON), gps.get(GPS_LON_REF))
            # 0,0 is what cameras write without a fix; out-of-range is corrupt.
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
                return
            alt = None
            if GPS_ALT in gps:
                try:
                    alt = round(_float(gps[GPS_ALT]), 2)
                    ref = gps.get(GPS_ALT_REF)
                    if ref in (1, b"\x01"):
                        alt = -alt
                except (TypeError, ValueError, ZeroDivisionError):
                    alt = None
            gps_time = self._gps_time(gps)
            yield Artefact(
                type="exif_gps",
                value=f"{lat:.6f},{lon:.6f}",
                raw=(f"{gps.get(GPS_LAT)} {_text(gps.get(GPS_LAT_REF))} "
                     f"{gps.get(GPS_LON)} {_text(gps.get(GPS_LON_REF))}"),
                plugin=self.name,
                plugin_version=self.version,
                timestamp=gps_time or original_utc,
                extra={
                    "latitude": round(lat, 6),
                    "longitude": round(lon, 6),
                    "altitude": alt,
                    "timestamp": gps_time,
                    "original_time": original_local,
                    "make": make,
                    "model": model,
                },
            )

    @staticmethod
    def _gps_time(gps: dict[int, Any]) -> str | None:
        date, clock = _text(gps.get(GPS_DATE)), gps.get(GPS_TIME)
        if not date or not isinstance(clock, (tuple, list)) or len(clock) != 3:
            return None
        try:
            day = datetime.strptime(date[:10], "%Y:%m:%d").replace(tzinfo=UTC)
            secs = _float(clock[0]) * 3600 + _float(clock[1]) * 60 + _float(clock[2])
            return iso(day + timedelta(seconds=round(secs, 6)))
        except (ValueError, TypeError, ZeroDivisionError):
            return None


@hookimpl
def triage_extractors() -> list[object]:
    return [ExifParser()]
