"""The parts of the report that need no case: chart markup, card masking, evidence text made visible."""

from __future__ import annotations

from html.parser import HTMLParser

from triage.reports.charts import bar_chart, histogram, stacked_bars
from triage.reports.masking import display_value, luhn_ok, mask_text
from triage.reports.html import visible

HOSTILE = "<script>alert(1)</script>\"'&"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(svg: str) -> _Tags:
    p = _Tags()
    p.feed(svg)
    return p


def test_chart_labels_and_titles_are_escaped() -> None:
    for svg in (bar_chart([(HOSTILE, 3), ("text/plain", 1)], HOSTILE),
                stacked_bars([(HOSTILE, [(HOSTILE, 2), ("b", 1)])], [HOSTILE, "b"], HOSTILE),
                histogram([("2024-01", 1), (HOSTILE, 2)], HOSTILE)):
        parsed = _parse(str(svg))
        assert "script" not in parsed.tags
        assert set(parsed.tags) <= {"svg", "title", "g", "text", "rect", "line"}
        assert any("<script>" in t for t in parsed.text)   # shown as text


def test_bars_are_proportional_and_an_empty_chart_says_so() -> None:
    svg = str(bar_chart([("a", 10), ("b", 5)], "t", width=620))
    widths = [int(w) for w in __import__("re").findall(r'<rect x="230" y="\d+" width="(\d+)"', svg)]
    assert widths[0] == 2 * widths[1]
    assert "nothing to show" in str(histogram([], "t"))


def test_card_numbers_are_masked_in_values_and_free_text() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert display_value("payment_card", "4111111111111111") == "411111******1111"
    assert display_value("payment_card", "4111111111111111", unmasked=True) == "4111111111111111"
    assert mask_text("card: 4711 0665 8035 1735 exp") == "card: 4711 06** **** 1735 exp"
    assert mask_text("order 4111111111111112 ref") == "order 4111111111111112 ref"   # not Luhn: not a card
    assert mask_text("ctx\\x0a5237381609251754]") == "ctx\\x0a523738******1754]"
    assert mask_text("4711 0665 8035 1735", unmasked=True) == "4711 0665 8035 1735"
    assert display_value("saved_card", "A SMITH | 11/2026 | 4242") == "A SMITH | 11/2026 | 4242"


def test_control_and_bidi_characters_are_made_visible_and_length_bounded() -> None:
    assert visible("invoice\u202egpj.exe") == "invoice\\u202egpj.exe"
    assert visible("line1\nline2\ttab\r.txt") == "line1\\x0aline2\\x09tab\\x0d.txt"
    assert visible("\x1b[2J") == "\\x1b[2J"
    assert visible("café £ файл") == "café £ файл"
    assert len(visible("L" * 10_000, limit=100)) == 100
    assert visible(None) == ""
