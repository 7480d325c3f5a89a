"""Skipping long zero stretches of unallocated space finds exactly what one stream over all of it finds."""

from __future__ import annotations

import pytest

from triage.scan.zero_skip import SKIP_MIN_BYTES, MediaReadError, scan_skipping_zeros
from tests.plugins.conftest import ENGINES

MiB = 1 << 20

TEXT = (
    b"contact alice.smith@example.co.uk\ncard 4111 1111 1111 1111 exp 12/27\n"
    b"a/c 70872490 sort code 20 00 00\nNINO AB123456C\n"
)


def _media() -> bytes:
    """Text pieces between zero stretches long and short, the text touching the zeros on both sides."""
    parts = [
        b"\x00" * (3 * MiB),  # leading stretch: skipped
        TEXT,
        b"\x00" * (2 * MiB + 12345),  # long, unaligned: skipped
        TEXT.replace(b"alice", b"bob"),
        b"\x00" * (200 * 1024),  # shorter than SKIP_MIN_BYTES: scanned
        "wallet 0x52908400098527886E0F7030069857D2E4169EE7 done\n".encode("utf-16-le"),
        b"\x00" * (5 * MiB),  # trailing stretch
        b"tail carol@example.org",  # no zeros after it
    ]
    return b"".join(parts)


class _Counting:
    """A matcher stream that counts what it is fed."""

    fed = 0

    def __init__(self, stream) -> None:  # noqa: ANN001
        self._s = stream

    def feed(self, data: bytes) -> None:
        _Counting.fed += len(data)
        self._s.feed(data)

    def close(self):  # noqa: ANN201
        return self._s.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_same_hits_as_one_stream(matchers, engine: str) -> None:
    m = matchers[engine]
    media = _media()
    whole = m.stream()
    for i in range(0, len(media), MiB):
        whole.feed(media[i : i + MiB])
    expected, errs = whole.close()
    assert errs == []
    assert {a.type for a in expected} >= {"email", "payment_card", "uk_bank_account", "uk_nino", "eth_address"}

    _Counting.fed = 0
    margin = m.context_span
    segments = scan_skipping_zeros(lambda off, n: media[off : off + n], 0, len(media),
                                   lambda: _Counting(m.stream()), margin, chunk_bytes=4 * MiB)
    got = []
    for seg_start, arts, errors in segments:
        assert errors == []
        got += [(a.type, a.value, a.offset + seg_start, a.encoding, a.context, a.count) for a in arts]
    assert sorted(got) == sorted((a.type, a.value, a.offset, a.encoding, a.context, a.count) for a in expected)
    # the long stretches were not fed; the short one was
    assert len(segments) == 3
    assert _Counting.fed < len(media) - 9 * MiB
    assert _Counting.fed > 200 * 1024


def test_header_after_zeros_is_the_streams_head(matchers) -> None:
    """A table written after a zero stretch is judged by its own header line (Hit.head)."""
    m = matchers[ENGINES[-1]]
    # the row is too far below the header for the key-word rule: only the header names its columns
    table = (b"Name,Sort Code,Account Number\n" + b"Someone Else,closed,none given\n" * 4
             + b"A Smith,20-00-00,55779911\n")
    media = b"x" * 5000 + b"\x00" * (2 * SKIP_MIN_BYTES) + table
    segments = scan_skipping_zeros(lambda off, n: media[off : off + n], 0, len(media), m.stream,
                                   m.context_span)
    found = [(a.value, a.offset + s) for s, arts, _ in segments for a in arts if a.type == "uk_bank_account"]
    assert found == [("200000-55779911", len(media) - len(table) + table.index(b"20-00-00"))]


def test_short_read_ends_the_scan() -> None:
    fed: list[bytes] = []

    class S:
        def feed(self, d: bytes) -> None:
            fed.append(bytes(d))

        def close(self):  # noqa: ANN201
            return [], []

    media = b"abc" * 1000
    segs = scan_skipping_zeros(lambda off, n: media[off : off + n], 0, 10 * len(media), S, 100)
    assert b"".join(fed) == media
    assert [s for s, _, _ in segs] == [0]


def test_a_failed_read_names_its_offset() -> None:
    class S:
        def feed(self, d: bytes) -> None:
            pass

        def close(self):  # noqa: ANN201
            return [], []

    def read(off: int, n: int) -> bytes:
        if off >= 8 << 20:
            raise OSError("bad sector")
        return b"a" * n

    with pytest.raises(MediaReadError) as info:
        scan_skipping_zeros(read, 0, 16 << 20, S, 100)
    assert info.value.offset == 8 << 20 and "bad sector" in str(info.value)
