"""E-mail addresses in the forms real data carries (issue 28): RFC 5322 atext, quoted local parts, IDNA, <...>.

Property-based: generated valid addresses in every written form the
scanner reads come back whole and unaltered; generated near misses (no
known TLD, a dot at either end of the local part, two dots) never do.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.plugins.conftest import ENGINES, values
from triage_plugins.selectors import _KEY_EQ, _LEAD_PUNCT


def test_apostrophes_and_other_atext_are_kept(scan) -> None:
    data = (b"To: o'brien@example.co.uk, Sean O'Neill <sean.o'neill@example.ie>\n"
            b"cc mary_o'hara+news@example.com; ops{team}@example.org, a!b#c$d%e@example.net\n")
    assert values(scan(data), "email") == [
        "o'brien@example.co.uk", "sean.o'neill@example.ie", "mary_o'hara+news@example.com",
        "ops{team}@example.org", "a!b#c$d%e@example.net"]


def test_punctuation_and_keys_around_an_address_are_not_taken(scan) -> None:
    data = (b"'jo@example.org' `kim@example.org` email=ann@example.com ?x=1&to=bo@example.net "
            b"/home/u/lee@example.com |row|max@example.co.uk| {\"mail\":\"ray@example.com\"}\n")
    assert values(scan(data), "email") == [
        "jo@example.org", "kim@example.org", "ann@example.com", "bo@example.net", "lee@example.com",
        "max@example.co.uk", "ray@example.com"]


def test_quoted_local_part_and_idna(scan) -> None:
    data = ('"john smith"@example.com and j\u00f6rg@b\u00fccher.de and <zoe@xn--bcher-kva.de>\n').encode()
    arts = [a for a in scan(data) if a.type == "email"]
    # a non-ASCII local part (SMTPUTF8) is not read, and its ASCII tail ("rg@...") never reported
    assert [a.value for a in arts] == ['"john smith"@example.com', "zoe@b\u00fccher.de"]
    assert arts[1].extra["domain_ascii"] == "xn--bcher-kva.de"
    assert values(scan("mail ann@b\u00fccher.de\n".encode()), "email") == ["ann@b\u00fccher.de"]


def test_mojibake_domain_is_refused(scan) -> None:
    assert values(scan(b"x bob@b\xc3.de y\n"), "email") == []


_ALNUM = string.ascii_letters + string.digits
_ATEXT = _ALNUM + "!#$%&'*+-=?^_`{|}~/"
_INNER = "".join(c for c in _ATEXT if c not in "/|")  # "/" and "|" are read as separators (paths, cells)
_word = st.text(_ALNUM, min_size=1, max_size=8)
_atom = st.builds(lambda a, b: a + b, st.sampled_from(_ALNUM + "_"), st.text(_INNER, max_size=8))
_local = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_domain = st.builds(lambda labels, tld: ".".join(labels + [tld]),
                    st.lists(st.builds(lambda a, b: a + b, st.sampled_from(string.ascii_lowercase),
                                       st.text(string.ascii_lowercase + string.digits, min_size=2, max_size=9)),
                             min_size=1, max_size=3),
                    st.sampled_from(["com", "co.uk", "org", "net", "ie", "scot", "wales"]))
_forms = st.sampled_from(["{a}", "<{a}>", "Name <{a}>", "'{a}'", '"{a}"', "mailto:{a}", "({a})", "{a}.", "{a},"])


def _plain(local: str) -> bool:
    """A local part the scanner reads whole: no key= before it (see _trim_local) and no leading punctuation."""
    if local[0] in _LEAD_PUNCT:
        return False
    key = local.partition("=")[0]
    return "=" not in local or not (_KEY_EQ.match(key.lstrip(_LEAD_PUNCT)) or "?" in key or "&" in key)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(local=_local, domain=_domain, form=_forms, engine=st.sampled_from(ENGINES))
def test_generated_addresses_are_read_whole(scan, local: str, domain: str, form: str, engine: str) -> None:
    assume(_plain(local))
    if form.startswith("'"):
        assume("'" not in local[-1:])
    addr = f"{local}@{domain}"
    data = ("see " + form.format(a=addr) + " now\n").encode()
    assert values(scan(data, engine=engine), "email") == [addr.lower()]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(local=_word, host=_word, bad=st.sampled_from(["{l}@{h}.notatld", "{l}.@{h}.com", ".@{h}.com",
                                                      "{l}..x@{h}.com", "{l}@{h}..com", "{l}@{h}.c0m",
                                                      "https://{l}@{h}.com/", "ftp://{l}:pw@{h}.com/"]))
def test_generated_near_misses_are_refused(scan, local: str, host: str, bad: str) -> None:
    assume(len(host) >= 3)
    data = ("x " + bad.format(l=local, h=host) + " y\n").encode()
    assert values(scan(data), "email") == []


@pytest.mark.parametrize("engine", ENGINES)
def test_utf16_apostrophe_address(scan, engine: str) -> None:
    data = "Contact: o'connor@example.co.uk\n".encode("utf-16-le")
    assert values(scan(data, engine=engine), "email") == ["o'connor@example.co.uk"]
