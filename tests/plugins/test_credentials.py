"""Combo lines and API tokens."""

from __future__ import annotations

import pytest

from tests.plugins.conftest import ENGINES, values

TOKENS = {
    "telegram_bot_token": "4427152004:AAiJD24dil0oUhsNY0dRnXnMja4LUsA8aij",
    "discord_webhook": "https://discord.com/api/webhooks/310238920194096980/"
    "oQiokZ-90iSt_UPeHB5D8ThoByVjmR44NqH9pPUaAjTYe-2s-0lAx1TgtvdZHAd0KYXS",
    "aws_access_key_id": "AKIAHQOG7SA57YLZGDQN",
    "github_token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "slack_token": "xoxb-123456789012-abcdefghijkl",
    "stripe_secret_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google_api_key": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "gitlab_token": "glpat-" + "2Wx9kL4mQ7rT1vB8nY3z",
    "openai_api_key": "sk-proj-" + "Zx81LmQp0aTr5YcWv2Nb" + "T3BlbkFJ" + "k9Hs3Fd7Gq1Lw0Pe6Rt2",
    "sendgrid_api_key": "SG." + "ngeVfQFYQlKU0ufo8x5d1A" + "." + "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
    "slack_webhook": "https://hooks.slack.com/services/" + "T01ABCDEF23/B04GHIJKL56/" + "XyZ12aBc34dEf56gHi78jKl9",
    "npm_token": "npm_" + "a8Kd92LmQz71XcVb40NpRt6YwEu35HsJg0Fo",
    "pypi_token": "pypi-AgEIcHlwaS5vcmc" + "CJDk0YmY2ZTVhLTk4ZmUtNDc3ZC1iZWE1LWE3NmE2YzFjOTRlZAACKlsz",
    "shopify_token": "shpat_" + "1f2e3d4c5b6a79880f1e2d3c4b5a6978",
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


def test_vendor_token_near_misses(scan) -> None:
    g = TOKENS["google_api_key"]
    data = (f"x{g} {g}Q {g[:-1]} {TOKENS['npm_token'][:-2]} "  # glued before, too long, too short (twice)
            "sk-proj-Zx81LmQp0aTr5YcWv2Nbk9Hs3Fd7Gq1Lw0Pe6Rt2 "  # no OpenAI marker
            "SG.ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnop "  # second part short
            "shpat_1f2e3d4c5b6a79880f1e2d3c4b5a697g "  # not hex
            "https://hooks.slack.com/services/t01abcdef23/B04GHIJKL56/XyZ12aBc34dEf56gHi78jKl9\n").encode()
    assert values(scan(data), "credential") == []


def test_vendor_tokens_in_utf16(scan) -> None:
    data = ("key: " + TOKENS["google_api_key"] + " / " + TOKENS["gitlab_token"] + "\n").encode("utf-16-le")
    arts = [a for a in scan(data) if a.type == "credential"]
    assert {(a.extra["kind"], a.value, a.encoding) for a in arts} == {
        ("google_api_key", TOKENS["google_api_key"], "utf-16le"),
        ("gitlab_token", TOKENS["gitlab_token"], "utf-16le"),
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_passwords_written_into_urls(scan, engine: str) -> None:
    data = (b"get https://user:pa55word@example.com/path then ftp://admin:S3cret!@192.168.1.10/pub\n"
            b"DATABASE_URL=postgresql://app_user:p%40ss:w0rd@db.internal.example.co.uk:5432/prod\n")
    arts = [a for a in scan(data, engine=engine) if a.type == "credential"]
    assert [a.value for a in arts] == [
        "https://user:pa55word@example.com",
        "ftp://admin:S3cret!@192.168.1.10",
        "postgresql://app_user:p%40ss:w0rd@db.internal.example.co.uk",
    ]
    assert arts[0].offset == data.index(b"https://") and arts[0].raw == "https://user:pa55word@example.com"
    assert arts[2].extra == {"kind": "url_userinfo", "username": "app_user", "password": "p@ss:w0rd",
                             "host": "db.internal.example.co.uk", "scheme": "postgresql"}


def test_url_userinfo_near_misses(scan) -> None:
    data = (b"masked https://bob:****@example.com/ and https://bob:xxxx@example.com/\n"
            b"templates mysql://root:${DB_PASSWORD}@localhost/db redis://:{{ pw }}@cache.example.com\n"
            b"no password https://bob@example.com/ or https://bob:@example.com/\n"
            b"unknown scheme zz://a:b@example.com, no host https://bob:pw@nohost/, "
            b"bad TLD https://bob:pw@example.invalidtld/\n")
    assert values(scan(data), "credential") == []


def test_url_userinfo_in_utf16(scan) -> None:
    data = "conn = smb://CORP;jdoe:Winter2024!@fileserver.example.org/share\n".encode("utf-16-le")
    arts = [a for a in scan(data) if a.type == "credential"]
    assert [(a.value, a.encoding) for a in arts] == [
        ("smb://CORP;jdoe:Winter2024!@fileserver.example.org", "utf-16le")]
