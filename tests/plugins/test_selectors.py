"""E-mail, phone (libphonenumber, GB), URL, domain (bundled TLDs), IPv4."""

from __future__ import annotations

import pytest

from tests.plugins.conftest import ENGINES, values
from triage_plugins.selectors import domain_ok


def test_email(scan) -> None:
    data = b"Mail Bob.Smith+x@Example.CO.UK or a@b.c or x@localhost or fraud.team@example-phish.com.\n"
    assert values(scan(data), "email") == ["bob.smith+x@example.co.uk", "fraud.team@example-phish.com"]


def test_phone_numbers(scan) -> None:
    data = (b"call 07912 345678 or +44 20 7946 0018 or (020) 7946 0018 or +1 212-555-0123; "
            b"not 0123 or 4111111111111111 or 2024-01-02\n")
    assert values(scan(data), "phone") == ["+447912345678", "+442079460018", "+442079460018", "+12125550123"]


def test_phone_too_long_for_gb_is_not_parsed(scan) -> None:
    # 0 and eleven digits is no GB number (the quick length refusal); 00 44 ... is international and stays
    from triage_plugins.selectors import _phone

    before = _phone.cache_info().misses
    data = b"ref 079121234567 id=044577896815; call 00 44 7912 345678 or 07912 345678\n"
    assert [(a.value, a.raw) for a in scan(data) if a.type == "phone"] == [
        ("+447912345678", "00 44 7912 345678"), ("+447912345678", "07912 345678")]
    assert _phone.cache_info().misses - before <= 2  # the long ones never reached libphonenumber


def test_url_trimmed(scan) -> None:
    data = b'see https://secure-verify.example-bank.co.uk/login?session=abc. and (http://example.org/a_(b)) "ftp://files.example.com/x"\n'
    assert values(scan(data), "url") == [
        "https://secure-verify.example-bank.co.uk/login?session=abc",
        "http://example.org/a_(b)",
        "ftp://files.example.com/x",
    ]


def test_domains(scan) -> None:
    data = b"visit www.Example.co.uk or example.com, not setup.py nor image.jpg nor a.b or XyZ.De\n"
    assert values(scan(data), "domain") == ["example.com", "www.example.co.uk"] or values(
        scan(data), "domain") == ["www.example.co.uk", "example.com"]
    assert domain_ok("www.example.com.backup") == "www.example.com"
    assert domain_ok("setup.py") is None and domain_ok("www.python.py") == "www.python.py"


def test_ipv4(scan) -> None:
    data = b"from 203.0.113.45 and 10.0.0.1; not 256.1.1.1, 01.2.3.4, 0.0.0.0, v1.2.3.4, version 2.0.1.3, 1.2.3.4.5\n"
    arts = [a for a in scan(data) if a.type == "ip_address"]
    assert [a.value for a in arts] == ["203.0.113.45", "10.0.0.1"]
    assert arts[1].extra["private"] is True


def test_ofcom_drama_numbers_are_marked_and_libphonenumber_judges_validity(scan) -> None:
    # drama ranges libphonenumber accepts are reported, marked fictional; the two it rejects
    # (07700 900xxx, 01632 960xxx) are not: the specification names it as the judge
    data = (b"call +44 7700 900123 or 01632 960001 or 020 7946 0018 or 0113 496 0999 or 07912 345678; "
            b"not 020 7946 001 or 07700 9001234\n")
    phones = {a.value: a.extra for a in scan(data) if a.type == "phone"}
    assert sorted(phones) == ["+441134960999", "+442079460018", "+447912345678"]
    assert phones["+442079460018"] == {"region": "GB", "fictional": "Ofcom drama range"}
    assert phones["+441134960999"]["fictional"] == "Ofcom drama range"
    assert phones["+447912345678"] == {"region": "GB"}


def test_a_urls_user_name_or_password_is_no_email_address(scan) -> None:
    data = (b"https://user:pa55word@example.com/x ftp://anonymous@ftp.example.com/ "
            b"postgresql://u:p%40ss:w0rd@db.example.co.uk/ "
            b"but mailto:jo@example.org, key:bo@example.net and <ann@example.com>\n")
    assert values(scan(data), "email") == ["jo@example.org", "bo@example.net", "ann@example.com"]


@pytest.mark.parametrize("engine", ENGINES)
def test_message_ids_are_no_email_addresses(scan, engine: str) -> None:
    """Message-ID, In-Reply-To, References and Content-ID name messages and parts, not mailboxes."""
    head = (b"Message-ID: <20240301.5f3a@mail.example.com>\r\nFrom: John Smith <john@example.com>\r\n"
            b"References: <r1@example.org> <r2@example.org>\r\n <folded@example.org>\r\n"
            b"In-Reply-To:   <r2@example.org>\r\nContent-ID: <img1@example.net>\r\nTo: <mary@example.com>\r\n"
            b"X-Note: see message-id <noted@example.com>\r\n\r\nbody\r\n")
    want = ["john@example.com", "folded@example.org", "mary@example.com", "noted@example.com"]
    assert values(scan(head, engine=engine), "email") == want
    assert values(scan(head.decode().encode("utf-16-le"), engine=engine), "email") == want


@pytest.mark.parametrize("engine", ENGINES)
def test_ipv6_addresses(scan, engine: str) -> None:
    """Compressed (RFC 5952) values; code, MAC addresses, times and hex words are not addresses."""
    data = (b"from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 port 22\n"
            b"src=fe80::1ff:fe23:4567:890a%eth0 and [2001:db8::1]:443\n"
            b"2a02:c7f:d65e:a700:4c51:2b3b:8d79:f4d1.\n"
            b"decoys: std::endl; a::b; dead::beef; abc::def; Foo::bar2::baz; 12:34:56; 00:1a:2b:3c:4d:5e; ::1;"
            b" 2001:db8::g1; 1:2:3:4:5:6:7:8:9 ::ffff:192.0.2.1\n")
    want = ["2001:db8:85a3::8a2e:370:7334", "fe80::1ff:fe23:4567:890a", "2001:db8::1",
            "2a02:c7f:d65e:a700:4c51:2b3b:8d79:f4d1"]
    for enc in ("ascii", "utf-16-le"):
        arts = [a for a in scan(data.decode().encode(enc), engine=engine) if a.type == "ip_address"]
        assert [a.value for a in arts if a.extra["version"] == 6] == want
        assert arts[0].raw == "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
        assert [a.value for a in arts if a.extra["version"] == 4] == ["192.0.2.1"]


def test_ipv6_at_the_end_of_a_validators_window() -> None:
    """Nothing after the match (a window's end) is no reason to refuse it."""
    from triage.plugins.api import Hit
    from triage_plugins.selectors import Selectors

    data = b" 2001:db8::1"
    got = list(Selectors().check_ipv6(Hit("ipv6", data, 1, len(data), 1, "ascii")))
    assert [a.value for a in got] == ["2001:db8::1"]
