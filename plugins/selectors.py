"""Communication selectors: e-mail addresses, phone numbers, URLs, domains, IP addresses (v4 and v6).

Selectors are what an investigator pivots on (subscriber checks, production
orders), so precision matters more than recall: phone numbers must be valid
for their region (libphonenumber, GB by default) and written like phone
numbers (leading + or 0), domains must end in a real TLD (bundled IANA list,
no network), IPv4 addresses must look like addresses and not versions, IPv6
addresses must parse (``ipaddress``) and stand apart from the words and code
around them (``std::endl`` is no address).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache

import idna
import phonenumbers

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._common import PHONE_9, RegexScanner, artefact, text, tlds

#: TLDs that are also common file extensions: a two-label name ending in one
#: (setup.py, README.md) is reported only with a www. or as part of a URL/e-mail.
_EXT_LIKE = frozenset(
    "py sh md rs pl so cc cs ps ai zip mov ml ts am pm app java rb go lu sv cx sc mk in do it is at be me no to "
    "us id gz st bz ms mp pk".split()
)
def _gb_max_national() -> int:
    """The longest GB national significant number (libphonenumber's metadata).

    A number written 0... in the default region with more digits after the 0
    is not a phone number.
    """
    meta = phonenumbers.PhoneMetadata.metadata_for_region("GB")
    desc = meta.general_desc if meta is not None else None
    return max(desc.possible_length) if desc is not None and desc.possible_length else 10


_GB_MAX_NATIONAL = _gb_max_national()
_NOT_DIGITS = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)
#: what comes before the "local part" of an address that is really a URL's
#: user name or password: "scheme://" or "scheme://user:" (the password may hold ":")
_IN_USERINFO = re.compile(rb"[A-Za-z0-9+.-]://(?:[^\s/?#@\"'<>]{0,128}:)?$")
#: a mail header whose <...@...> values are message identifiers, not mailboxes
#: (the id's right-hand side is a host, its left a serial or hash)
_ID_HEADER = re.compile(rb"(?:resent-)?message-id|in-reply-to|references|content-id", re.I)
_URL_TRAIL = ".,;:!?'\")]}>*"
_V6_TRIGGER = rb"::|:[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}:"
_V6_TRIGGER_RX = re.compile(_V6_TRIGGER.decode())
_VERSION_BEFORE = re.compile(rb"(?:\bv|\bver|\bversion|\brelease|\bbuild)[ .:=]*$", re.I)


#: RFC 5322 atext (the characters of a dot-atom local part) and the dot
_ATEXT = rb"A-Za-z0-9!#$%&'*+/=?^_`{|}~.-"
#: a label of a domain as written: ASCII, or well-formed UTF-8 sequences (an internationalised name,
#: IDNA); a Unicode TLD is not read (its punycode xn-- form is): in binary data, runs of high bytes
#: would fire the trigger all the time
_LABEL = rb"(?:[A-Za-z0-9-]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}){1,63}"
_TLD = rb"(?:[A-Za-z]{2,24}\b|xn--[A-Za-z0-9-]{2,59}\b)"
#: an address: a dot-atom or quoted local part, "@", a domain
_EMAIL = (rb"(?:[" + _ATEXT + rb"]{1,64}|\"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e]){1,64}\")@"
          + _LABEL + rb"(?:\." + _LABEL + rb"){0,6}\." + _TLD)
_EMAIL_AT = rb"@" + _LABEL + rb"(?:\." + _LABEL + rb"){0,6}\." + _TLD
#: characters that may open a local part in RFC 5322 but in real text are the
#: punctuation around an address: quotes ('bob@x', `bob@x`), braces, bars
_LEAD_PUNCT = "'`{|/=?&#*~^."
#: a key before "=" in key=value text (a log, a URL query, a form): "email=bob@x"
#: names the field, it is no part of the address; "a=b@x" (a key not known) stays whole
_KEY_EQ = re.compile(r"(?i)^(?:[a-z_-]*(?:mail|user|login|addr|address|recipient|sender|account|contact|owner|"
                     r"name|id)|to|from|cc|bcc|rcpt|mailbox|value|q|e|u)$")


_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-][A-Za-z0-9._+'-]*")


def _trim_local(local: str) -> str:
    """The local part of a dot-atom address, without the punctuation and keys written before it.

    RFC 5322 allows ``'``, ``/``, ``=``, ``|`` and others in a local part
    (o'brien@, o'neill@ are everyday UK addresses), and the scanner keeps
    them, but what a file puts before an address also matches: a path
    (``/u/bob@``), a table cell (``a|bob@``), a key (``email=bob@``), a quote
    (``'bob@``). Cut at the last ``/`` or ``|``, at a ``=`` after a field
    name (or inside a URL query), then drop punctuation that opens it.
    """
    if _PLAIN_LOCAL.fullmatch(local):
        return local  # the common case: letters, digits, ".", "_", "+", "-" (and "'" inside)
    for sep in "/|":
        local = local.rpartition(sep)[2]
    while "=" in local:
        key, _, rest = local.partition("=")
        seg = re.split(r"[?&;#]", key)[-1].lstrip(_LEAD_PUNCT)
        if _KEY_EQ.match(seg) or "?" in key or "&" in key:
            local = rest
        else:
            break
    return local.lstrip(_LEAD_PUNCT)


def _idna_domain(domain: str) -> tuple[str, str] | None:
    """(ASCII form, form shown) of a domain as written (latin-1 text of its bytes), or None when no valid IDNA name.

    An internationalised name (UTF-8 on disk) is reported in Unicode, lower
    case, with its ASCII (punycode) form for look-ups; both are checked by
    the IDNA 2008 rules (``idna``), so mojibake is refused.
    """
    if domain.isascii():
        low = domain.lower()
        if "xn--" not in low:
            return low, low
        try:
            return low, idna.decode(low)
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    try:
        uni = domain.encode("latin-1").decode("utf-8").lower()
        ascii_dom = idna.encode(uni, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return ascii_dom, uni


@lru_cache(maxsize=65536)
def domain_ok(name: str, strict: bool = True) -> str | None:
    """Lower-case host name ending in a known TLD (trailing unknown labels cut).

    Cached: the same few hosts recur thousands of times in logs, mail and
    browser data, and the answer depends on the name alone.
    """
    if not all(lab.islower() or lab.isupper() or lab.istitle() or lab.isdigit() for lab in name.split(".") if lab):
        return None  # "xQ.De": binary noise far more often than a host name
    labels = name.lower().split(".")
    known = tlds()
    while len(labels) >= 2 and labels[-1] not in known:
        labels.pop()
    if len(labels) < 2 or any(not lab or lab.startswith("-") or lab.endswith("-") for lab in labels):
        return None
    if strict and len(labels) == 2 and labels[-1] in _EXT_LIKE:
        return None
    if labels[-2].isdigit() or (strict and len(labels) == 2 and len(labels[0]) < 3 and len(labels[1]) == 2):
        return None
    return ".".join(labels)


class Selectors(RegexScanner):
    name = "selectors"
    version = "1.4.0"
    emits = ("email", "phone", "url", "domain", "ip_address")
    patterns = (
        Pattern(
            "email",
            _EMAIL,
            max_len=520,
            prefilter=_EMAIL_AT,
            reach=150,  # check_email reads the match, and the URL it may sit in (see _IN_USERINFO)
        ),
        Pattern(
            "phone",
            rb"(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?|\(0\d{1,4}\)[ .-]?|\b0)\d{1,5}(?:[ .-]?\d{2,5}){1,4}\b",
            max_len=40,
            prefilter=PHONE_9,
            reach=2,  # check_phone: two bytes each side
        ),
        Pattern(
            "url",
            rb"\b(?:https?|ftp)://[^\s\"'<>\x00-\x1f\x7f-\xff]{1,500}[\s\"'<>\x00-\x1f\x7f-\xff]",
            max_len=520,
            caseless=True,
            prefilter=rb"://",
            reach=0,
        ),
        Pattern(
            "domain",
            rb"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}\b",
            max_len=600,
            prefilter=rb"[A-Za-z0-9]\.[A-Za-z]{2,24}\b",
            reach=1,  # check_domain: the byte on each side
        ),
        Pattern("ipv4", rb"\b(?:\d{1,3}\.){3}\d{1,3}\b", max_len=15, prefilter=rb"\.\d{1,3}\.\d{1,3}\b",
                reach=16),  # check_ipv4: 16 bytes before (version words), 2 after
        # the run of hex digits and colons; the trigger is where an IPv6
        # address shows itself: its "::", or two full groups in a row (the
        # uncompressed form). Hyperscan finds both for nothing; a trigger for
        # any eight groups cost it over a quarter more over logs
        Pattern("ipv6", rb"[0-9A-Fa-f:]{3,39}", max_len=39, prefilter=_V6_TRIGGER, reach=2),
    )

    def check_email(self, hit: Hit) -> Iterator[Artefact]:
        data = hit.data
        s = data[hit.start : hit.end].decode("latin-1")
        local, _, domain = s.rpartition("@")
        end = hit.end
        if not local.startswith('"'):
            local = _trim_local(local)
            if not local or local.endswith(".") or ".." in local:
                return
        start = hit.start + (len(s) - len(domain) - 1 - len(local))
        if start and data[start - 1] in b":/" and _IN_USERINFO.search(data[max(0, start - 150) : start]):
            return  # ftp://user@host, https://user:password@host: a log-in (credentials), not a mailbox
        if start and data[start - 1] == 0x3C and _in_id_header(data, start):  # "<"
            return  # Message-ID: <serial@host>: names a message, not a mailbox
        if start and data[start - 1] >= 0x80:
            return  # a non-ASCII local part (SMTPUTF8) is not read: its ASCII tail alone would be a wrong address
        if end < len(data) and (chr(data[end]).isalnum() or data[end] in b"-_"):
            return  # the domain runs on into a word
        if ".." in domain:
            return
        dom = _idna_domain(domain)
        if dom is None:
            return
        ascii_dom, shown = dom
        if domain_ok(ascii_dom, False) != ascii_dom:
            return
        extra: dict[str, object] = {}
        if ascii_dom != shown:
            extra["domain_ascii"] = ascii_dom
        value = f"{local if local.startswith(chr(34)) else local.lower()}@{shown}"
        yield artefact(hit, "email", value, start=start, end=end, extra=extra or None)

    def check_phone(self, hit: Hit) -> Iterator[Artefact]:
        data, start, end = hit.data, hit.start, hit.end
        before = data[max(0, start - 2) : start]
        if before[-1:].isdigit() or (len(before) == 2 and before[:1].isdigit() and before[1:] in b".-"):
            return  # tail of a longer number
        after = data[end : end + 2]
        if after[:1] in (b"-", b".") and after[1:2].isdigit():
            return
        match = data[start:end]
        s = match.decode("latin-1")
        digits = match.translate(None, _NOT_DIGITS).decode("ascii")
        if not 9 <= len(digits) <= 15:
            return
        if s[0] != "+" and not digits.startswith("00") and len(digits) - 1 > _GB_MAX_NATIONAL:
            return  # a GB national number (0...) longer than any: zero-padded ids, not phones; no parse needed
        got = _phone(s)
        if got is None:
            return
        e164, region, drama = got
        extra: dict[str, object] = {"region": region}
        if drama:
            extra["fictional"] = "Ofcom drama range"
        yield artefact(hit, "phone", e164, confidence=0.8, extra=extra)

    def check_url(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)[:-1]  # the terminator
        while s and s[-1] in _URL_TRAIL:
            if s[-1] == ")" and s.count("(") >= s.count(")"):
                break
            s = s[:-1]
        scheme, _, rest = s.partition("://")
        host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if not host:
            return
        if not (domain_ok(host.lower(), False) or ipv4_ok(host) or host.lower() == "localhost"):
            return
        yield artefact(hit, "url", s, end=hit.start + len(s), extra={"scheme": scheme.lower(), "host": host.lower()})

    def check_domain(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        if hit.before[-1:] in (b"-",) or hit.after[:1] == b"-":
            return
        dom = domain_ok(s)
        if dom is None:
            return
        yield artefact(hit, "domain", dom, end=hit.start + len(dom), confidence=0.6)

    def check_ipv6(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        before, after = hit.before[-1:], hit.after[:2]
        if before and (before.isalnum() or before in b"_.%"):
            return  # inside a word, a name (std::map), a version or a longer number
        if after[:1].isalnum() or after[:1] == b"_" or (after[:1] == b"." and after[1:2].isdigit()):
            return  # followed by a word, or an IPv4 tail (::ffff:1.2.3.4: not taken apart)
        if not _V6_TRIGGER_RX.search(s) or not any(c.isdigit() for c in s):
            return  # what the trigger would not see; or hex words only (dead::beef, abc::def: code)
        try:
            ip = ipaddress.IPv6Address(s)
        except ValueError:
            return
        if sum(c != ":" for c in s) < 4:
            return  # ::1, a::1: too short to tell from code or a time
        value = ip.compressed
        yield artefact(hit, "ip_address", value, confidence=0.6,
                       extra={"version": 6, "private": ip.is_private or ip.is_link_local})

    def check_ipv4(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        before, after = hit.before, hit.after
        if before[-1:] == b"." or (after[:1] == b"." and after[1:2].isdigit()):
            return  # 1.2.3.4.5: an OID or version, not an address
        if _VERSION_BEFORE.search(before[-16:]):
            return
        if not ipv4_ok(s):
            return
        yield artefact(hit, "ip_address", s, confidence=0.7, extra={"version": 4, "private": _private(s)})


#: Ofcom's numbers for drama (TV, radio, film, fiction): never given to a
#: subscriber, as the first digits of the UK national significant number
#: (ten digits, no leading 0). A valid number in one of them is marked
#: fictional: an examiner can set such numbers aside. libphonenumber calls
#: two of these ranges invalid (07700 900xxx and 01632 960xxx, the
#: best-known ones) and accepts the others; it stays the judge of validity,
#: as the specification asks, so those two are not reported.
_DRAMA_PREFIXES = (
    "1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960", "1314960", "1414960",
    "1514960", "1614960", "1914980", "2079460", "2896496", "2920180", "1632960", "7700900", "8081570",
    "9098790", "3069990",
)


def _drama(num: phonenumbers.PhoneNumber) -> bool:
    nsn = str(num.national_number)
    return num.country_code == 44 and len(nsn) == 10 and nsn.startswith(_DRAMA_PREFIXES)


@lru_cache(maxsize=4096)
def _phone(s: str) -> tuple[str, str, bool] | None:
    """(E.164, region, in an Ofcom drama range) of a valid number written ``s`` (GB default), else None.

    A pure function of ``s``, cached: the same numbers recur through a case
    (signatures, logs, contact lists) and libphonenumber is slow.
    """
    try:
        num = phonenumbers.parse(s, "GB")
    except phonenumbers.NumberParseException:
        return None
    # the length check first: 1.6 us against 40 us for the full validity check
    if not phonenumbers.is_possible_number(num) or not phonenumbers.is_valid_number(num):
        return None
    drama = _drama(num)
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_country_code(num.country_code or 0), drama


def _in_id_header(data: bytes, start: int) -> bool:
    """True when ``data[start]`` is on a Message-ID, In-Reply-To, References or Content-ID header line.

    Only the header's own line, seen within the address's reach (150 bytes):
    a folded References line further down names no header, and its ids are
    reported as addresses, as everywhere else.
    """
    lo = max(0, start - 150)
    ls = max(data.rfind(b"\n", lo, start), data.rfind(b"\r", lo, start)) + 1
    if ls == 0 and lo > 0:
        return False  # the line's start is out of sight
    m = _ID_HEADER.match(data, ls)
    return m is not None and data[m.end() : m.end() + 16].lstrip(b" \t")[:1] == b":"


def ipv4_ok(s: str) -> bool:
    """A dotted quad as written: four octets of at most 255, no leading zeros (credentials checks hosts with it)."""
    parts = s.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return False
    if any(len(p) > 1 and p[0] == "0" for p in parts) or any(int(p) > 255 for p in parts):
        return False
    return s != "0.0.0.0"


def _private(s: str) -> bool:
    a, b = (int(x) for x in s.split(".")[:2])
    return a == 10 or a == 127 or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168) or (a == 169 and b == 254)


@hookimpl
def triage_extractors() -> list[object]:
    return [Selectors()]
