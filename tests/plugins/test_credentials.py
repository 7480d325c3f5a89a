"""Combo lines and API tokens."""

from __future__ import annotations

from tests.plugins.conftest import values

TOKENS = {
    "telegram_bot_token": "4427152004:AAiJD24dil0oUhsNY0dRnXnMja4LUsA8aij",
    "discord_webhook": "https://discord.com/api/webhooks/310238920194096980/"
    "oQiokZ-90iSt_UPeHB5D8ThoByVjmR44NqH9pPUaAjTYe-2s-0lAx1TgtvdZHAd0KYXS",
    "aws_access_key_id": "AKIAHQOG7SA57YLZGDQN",
    "github_token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "slack_token": "xoxb-123456789012-abcdefghijkl",
    "stripe_secret_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
}


def test_combo_lines(scan) -> None:
    data = (b"victim.one@example.com:Summer2024!\n"
            b"j.bloggs@example.org;Tr0ub4dor&3\r\n"
            b"mark.taylor@example.net|qwerty!2023x\n"
            b"not at line start a@example.com:password1\n"
            b"jsmith:Passw0rd99\n"
            b"Host:localhost\n"
            b"version:12345678\n")
    arts = [a for a in scan(data) if a.type == "credential"]
    assert [(a.value, a.extra["kind"]) for a in arts] == [
        ("victim.one@example.com:Summer2024!", "combo_email"),
        ("j.bloggs@example.org:Tr0ub4dor&3", "combo_email"),
        ("mark.taylor@example.net:qwerty!2023x", "combo_email"),
        ("jsmith:Passw0rd99", "combo_user"),
    ]
    assert arts[0].offset == 0 and arts[0].extra["password"] == "Summer2024!"


def test_tokens(scan) -> None:
    data = ("\n".join(f"{k} = {v}" for k, v in TOKENS.items()) + "\n").encode()
    arts = [a for a in scan(data) if a.type == "credential"]
    assert {a.extra["kind"]: a.value for a in arts} == TOKENS


def test_overlong_token_rejected(scan) -> None:
    assert values(scan(b"AKIAHQOG7SA57YLZGDQNX and 4427152004:AAiJD24dil0oUhsNY0dRnXnMja4LUsA8aijX\n"),
                  "credential") == []
