"""The terminal summary shows evidence text without letting it drive the terminal or rich."""

from __future__ import annotations

from triage.reports.summary import mask_pan, terminal_safe


def test_control_characters_and_markup_from_evidence_are_neutralised() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07[bold red]evil[/] name\r\n"
    shown = terminal_safe(hostile)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert "\\x1b" in shown
    assert "\\[bold red]" in shown  # rich would otherwise style the rest of the line


def test_long_values_are_bounded() -> None:
    assert len(terminal_safe("A" * 10_000, limit=50)) == 50


def test_card_numbers_are_masked_in_the_summary() -> None:
    assert mask_pan("4111111111111111") == "411111******1111"
    assert mask_pan("378282246310005") == "378282*****0005"
