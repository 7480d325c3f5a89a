"""Credentials: combo-list lines, bot tokens, webhooks and cloud/API keys.

Combo lines are what stealer logs and credential dumps are made of; a
``user:password`` line is only taken at the start of a line and with a
password that looks like one, because ``key:value`` lines are everywhere in
configuration and logs. API keys are taken by their vendors' fixed prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._common import RegexScanner, artefact, text
from triage_plugins.selectors import ipv4_ok, domain_ok

_TOKEN_CHAR = re.compile(rb"[A-Za-z0-9_-]")
_STOP_USERS = frozenset(
    "http https ftp file mailto host hostname port user username login password pass pwd name id key value type "
    "date time path url uri version status error warning info debug note subject from to cc bcc server localhost "
    "content accept origin referer cookie server agent range location expires pragma default size count mode".split()
)


def _strong(pw: str) -> bool:
    classes = sum(bool(re.search(p, pw)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and not pw.isdigit() and "/" not in pw[:1] and not pw.startswith("//")


#: ``://user:password@host`` (user and password up to 128 bytes each, no
#: spaces, quotes, angle brackets or URL delimiters; the password may hold ``:``)
_USERINFO = rb"://[^\s:/?#@\"'<>]{1,128}:[^\s/?#@\"'<>]{1,128}@[A-Za-z0-9.-]{1,253}"
#: schemes whose URLs carry log-in credentials (the scheme before "://", read back)
_SCHEME = re.compile(rb"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{1,15})$")
_USERINFO_SCHEMES = frozenset(
    "http https ftp ftps sftp ssh scp smb cifs rtsp rtmp mysql mariadb postgres postgresql mongodb mongodb+srv "
    "redis rediss amqp amqps mqtt ldap ldaps imap imaps pop3 pop3s smtp smtps git svn telnet vnc rdp socks4 socks5 "
    "mssql sqlserver oracle webdav dav".split()  # jdbc:mysql://... reads back as mysql
)
#: passwords that are placeholders, not secrets: masks and template variables
_PLACEHOLDER = re.compile(r"^(?:\*+|x+|X+|•+)$|\$\{|\{\{|%\(|^%s$|^<|^\[")


class Credentials(RegexScanner):
    name = "credentials"
    version = "1.2.0"
    emits = ("credential",)
    patterns = (
        Pattern(
            "combo_email",
            rb"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}[:;|][^\s]{4,64}[\r\n]",
            max_len=420,
            prefilter=rb"@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}[:;|]",
        ),
        Pattern(
            "combo_user",
            rb"\b[A-Za-z0-9._-]{3,32}:[!-9;-~]{4,64}[\r\n]",
            max_len=100,
            prefilter=rb"[A-Za-z0-9._-]{3}:[!-9;-~]{4}",
        ),
        Pattern("telegram", rb"\b\d{8,10}:[A-Za-z0-9_-]{35}", max_len=46, prefilter=rb"\d:[A-Za-z0-9_-]{35}"),
        Pattern(
            "discord",
            rb"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,72}",
            max_len=160,
            prefilter=rb"discord(?:app)?\.com/api/webhooks/",
        ),
        Pattern("aws", rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", max_len=20),
        Pattern("github", rb"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b", max_len=93),
        Pattern("slack", rb"\bxox[baprs]-[A-Za-z0-9-]{10,72}\b", max_len=78, prefilter=rb"xox[baprs]-[A-Za-z0-9-]{10}"),
        Pattern("stripe", rb"\b[sr]k_live_[A-Za-z0-9]{24,99}\b", max_len=107, prefilter=rb"k_live_[A-Za-z0-9]{24}"),
        # the vendors' documented formats; each led by a fixed literal, so cheap for Hyperscan
        Pattern("google", rb"AIza[0-9A-Za-z_-]{35}", max_len=39),
        Pattern("gitlab", rb"glpat-[0-9A-Za-z_-]{20,64}", max_len=70, prefilter=rb"glpat-[0-9A-Za-z_-]{20}"),
        # every OpenAI secret key (legacy and project) holds "T3BlbkFJ", base64 of "OpenAI"
        Pattern("openai", rb"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,200}T3BlbkFJ[A-Za-z0-9_-]{16,200}",
                max_len=420, prefilter=rb"T3BlbkFJ[A-Za-z0-9_-]{16}"),
        Pattern("sendgrid", rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", max_len=69),
        Pattern("slack_webhook",
                rb"https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}",
                max_len=110, prefilter=rb"hooks\.slack\.com/services/T"),
        Pattern("npm", rb"npm_[A-Za-z0-9]{36}", max_len=40),
        Pattern("pypi", rb"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300}", max_len=320, prefilter=rb"pypi-AgEIcHlwaS5vcmc"),
        Pattern("shopify", rb"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", max_len=38),
        # a password written into a URL (database and FTP connection strings, saved links);
        # led by "://" (the URL scanner's trigger too: one Hyperscan expression serves both),
        # the scheme is read back from the bytes before it
        Pattern("url_userinfo", _USERINFO, max_len=520, caseless=True, prefilter=rb"://", reach=24),
    )

    @staticmethod
    def _line_start(hit: Hit) -> bool:
        return hit.before[-1:] in (b"\n", b"\r")

    def check_combo_email(self, hit: Hit) -> Iterator[Artefact]:
        if not self._line_start(hit):
            return
        s = text(hit).rstrip("\r\n")
        m = re.match(r"(.+@(.+?\.[A-Za-z]{2,24}))[:;|](.+)$", s)
        if not m or domain_ok(m.group(2).lower(), False) is None:
            return
        user, pw = m.group(1), m.group(3)
        yield artefact(hit, "credential", f"{user}:{pw}", end=hit.start + len(s), confidence=0.9,
                       extra={"kind": "combo_email", "username": user, "password": pw})

    def check_combo_user(self, hit: Hit) -> Iterator[Artefact]:
        if not self._line_start(hit):
            return
        s = text(hit).rstrip("\r\n")
        user, _, pw = s.partition(":")
        if user.lower() in _STOP_USERS or user.isdigit() or not _strong(pw):
            return
        yield artefact(hit, "credential", f"{user}:{pw}", end=hit.start + len(s), confidence=0.4,
                       extra={"kind": "combo_user", "username": user, "password": pw})

    def check_url_userinfo(self, hit: Hit) -> Iterator[Artefact]:
        m = _SCHEME.search(hit.before[-17:])
        scheme = m.group(1).decode("ascii").lower() if m is not None else ""
        if scheme not in _USERINFO_SCHEMES:
            return
        s = text(hit)[3:]
        userinfo, _, host = s.rpartition("@")
        user, _, pw = userinfo.partition(":")
        host = host.rstrip(".-").lower()
        if not user or not pw or _PLACEHOLDER.search(pw):
            return
        if not (domain_ok(host, False) == host or ipv4_ok(host) or host == "localhost"):
            return
        start = hit.start - len(scheme)
        yield artefact(hit, "credential", f"{scheme}://{user}:{pw}@{host}", start=start,
                       end=hit.start + 3 + len(userinfo) + 1 + len(host), confidence=0.8,
                       extra={"kind": "url_userinfo", "username": unquote(user), "password": unquote(pw),
                              "host": host, "scheme": scheme})

    def validate(self, hit: Hit) -> Iterable[Artefact]:
        token = _TOKENS.get(hit.pattern_id)
        if token is None:
            return super().validate(hit)  # the combo lines
        return self._token(hit, *token)

    @staticmethod
    def _token(hit: Hit, kind: str, confidence: float, glued_before: bool) -> Iterator[Artefact]:
        if _TOKEN_CHAR.match(hit.after[:1]):
            return  # longer than the format allows: something else
        if not glued_before and _TOKEN_CHAR.match(hit.before[-1:]):
            return  # the tail of a longer run
        yield artefact(hit, "credential", text(hit), confidence=confidence, extra={"kind": kind})


#: pattern id -> (kind, confidence, may follow a token character): the fixed-format tokens.
#: Those led by a vendor literal are taken whole only; the others' own regex starts at a word
#: boundary or a literal that says where they start.
_TOKENS: dict[str, tuple[str, float, bool]] = {
    "telegram": ("telegram_bot_token", 0.9, True),
    "discord": ("discord_webhook", 1.0, True),
    "aws": ("aws_access_key_id", 0.9, True),
    "github": ("github_token", 0.9, True),
    "slack": ("slack_token", 0.9, True),
    "stripe": ("stripe_secret_key", 0.9, True),
    "google": ("google_api_key", 0.9, False),
    "gitlab": ("gitlab_token", 0.9, False),
    "openai": ("openai_api_key", 0.9, False),
    "sendgrid": ("sendgrid_api_key", 0.9, False),
    "slack_webhook": ("slack_webhook", 1.0, True),
    "npm": ("npm_token", 0.9, False),
    "pypi": ("pypi_token", 0.9, False),
    "shopify": ("shopify_token", 0.9, False),
}


@hookimpl
def triage_extractors() -> list[object]:
    return [Credentials()]
