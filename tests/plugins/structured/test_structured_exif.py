"""EXIF device and GPS from JPEG and HEIC."""

from __future__ import annotations

import pytest
from triage_plugins.exif import ExifError, ExifParser

from .conftest import FIXTURES, entry

P = ExifParser()


@pytest.mark.parametrize("name", ["photo.jpg", "photo.heic"])
def test_device_and_gps(name):
    arts = list(P.parse(FIXTURES / "images" / name, entry(f"/DCIM/100APPLE/{name}")))
    dev, gps = arts
    assert dev.type == "exif_device" and dev.value == "Apple iPhone 13"
    assert (dev.extra["make"], dev.extra["model"], dev.extra["software"], dev.extra["serial"]) == (
        "Apple", "iPhone 13", "17.3.1", "F2LXK0ABCDEF")
    assert dev.extra["original_time"] == "2024-03-01T14:22:05"
    assert dev.timestamp == "2024-03-01T14:22:05Z"  # OffsetTimeOriginal +00:00
    assert gps.type == "exif_gps" and gps.value == "51.507350,-0.127533"  # N / W refs applied
    assert gps.extra["altitude"] == 35.5
    assert gps.extra["timestamp"] == gps.timestamp == "2024-03-01T14:22:03Z"


def test_malformed_exif_raises():
    with pytest.raises(ExifError, match="malformed EXIF"):
        list(P.parse(FIXTURES / "images" / "broken_exif.jpg", entry("/x/broken_exif.jpg")))


def test_not_an_image_raises(tmp_path):
    bad = tmp_path / "fake.jpg"
    bad.write_bytes(b"\xff\xd8\xff" + b"\x00" * 10)
    with pytest.raises(ExifError):
        list(P.parse(bad, entry("/x/fake.jpg")))


def test_image_without_exif_yields_nothing(tmp_path):
    from PIL import Image

    p = tmp_path / "plain.jpg"
    Image.new("RGB", (4, 4)).save(p)
    assert list(P.parse(p, entry("/x/plain.jpg"))) == []


def test_wants():
    assert P.wants(entry("/a/IMG_0001.HEIC"), None)
    assert P.wants(entry("/a/blob"), "image/jpeg")
    assert not P.wants(entry("/a/doc.pdf"), "application/pdf")
