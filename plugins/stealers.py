"""Credential-stealer log bundles (RedLine, Raccoon, Vidar, Lumma, StealC and kin).

Stealer "logs" are sold as folders (often zipped) of stolen passwords,
cookies, cards and a system profile. Finding one on a suspect's device is
evidence of buying, selling or operating a stealer; on a victim's it shows
what was taken. Only the folder layout shows a bundle, so this is a tree
analyser: it sees every path on the volume and reads a few small files.
Counts are reported, never the stolen secrets themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from triage.plugin_api import Artefact, Entry, ReadFile, hookimpl
from triage_plugins._times import unix_seconds


PASSWORD_FILES = {"passwords.txt", "all passwords.txt", "_allpasswords_list.txt", "passwordsall.txt"}
INFO_FILES = {"system info.txt", "userinformation.txt", "information.txt", "system.txt", "info.txt",
              "systeminfo.txt", "system_info.txt"}
SCREENSHOTS = {"screenshot.jpg", "screenshot.png", "screen.jpg", "screen.png", "screenshot.jpeg"}
OTHER_FILES = {"domaindetects.txt", "importantautofills.txt", "installedsoftware.txt", "installedbrowsers.txt",
               "processlist.txt", "brute.txt", "passwordslist.txt", "installed_software.txt"}
COOKIE_DIRS = {"cookies", "cookie"}
AUTOFILL_DIRS = {"autofills", "autofill", "autofill data"}
CARD_DIRS = {"creditcards", "credit cards", "cards", "cc"}
OTHER_DIRS = {"wallets", "filegrabber", "files", "browsers", "history", "important files", "messengers",
              "steam", "telegram", "discord", "ftp", "vpn", "grabber"}

READ_MAX = 8 * 1024 * 1024  # bytes read from any one member file
READ_BUDGET = 64 * 1024 * 1024  # bytes read for one bundle in all
MAX_FILES_LISTED = 500
MAX_DEPTH = 4  # how deep below the root member files are counted
#: folders holding an indicator name remembered over a volume (a hostile one may hold millions) ...
MAX_FOLDERS = 100_000
#: ... and member entries kept for reading and listing, over every bundle of the volume
MAX_MEMBERS_KEPT = 100_000

_PASSWORD_LINE = re.compile(rb"^[ \t]*(?:password|pass|pwd)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_URL_LINE = re.compile(rb"^[ \t]*(?:url|host|hostname)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_CARD_LINE = re.compile(rb"^[ \t]*(?:card ?number|card|number|cc|cardnumber)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_AUTOFILL_LINE = re.compile(rb"^[ \t]*value[ \t]*:", re.IGNORECASE | re.MULTILINE)


_INDICATOR_FILES = PASSWORD_FILES | INFO_FILES | SCREENSHOTS | OTHER_FILES
_INDICATOR_DIRS = COOKIE_DIRS | AUTOFILL_DIRS | CARD_DIRS | OTHER_DIRS


@dataclass
class _Members:
    """What the summary needs of a root's member files: exact count and first time, bounded entries."""

    count: int = 0
    first_time: float | None = None
    kept: list[Entry] = field(default_factory=list)


@dataclass
class _Folder:
    files: dict[str, str] = field(default_factory=dict)  # lower name -> full path
    dirs: set[str] = field(default_factory=set)  # lower names of sub-folders


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rstrip("/").rpartition("/")
    return parent or "/", name


class StealerLogAnalyser:
    """Finds stealer-log bundle roots by their layout and summarises each."""

    name = "stealers"
    version = "1.0.0"
    kind = "tree"
    emits = ("stealer_log",)

    def analyse(self, entries: Iterable[Entry], read: ReadFile) -> Iterator[tuple[str, Artefact]]:
        """Two passes over the entries, in memory bounded whatever the volume holds.

        The first keeps, per folder, only the names that are indicators (all
        that deciding a root and a family looks at), for at most
        MAX_FOLDERS folders; the second collects the members of the roots
        found (at most MAX_MEMBERS_KEPT entries in all; file_count and the
        time stay exact). The engine streams ``entries`` from the case and
        each ``for`` reads them again; a one-shot iterator is listed first.
        """
        if iter(entries) is entries:
            entries = list(entries)
        folders: dict[str, _Folder] = {}

        def folder(path: str) -> _Folder | None:
            f = folders.get(path)
            if f is None and len(folders) < MAX_FOLDERS:
                f = folders[path] = _Folder()
            return f

        for e in entries:
            parent, name = _split(e.path)
            low = name.lower()
            if e.type == "dir":
                if low in _INDICATOR_DIRS and (f := folder(parent)) is not None:
                    f.dirs.add(low)
                continue
            if e.type not in ("regular", "virtual", "unknown") or e.stream:
                continue
            if low in _INDICATOR_FILES and (f := folder(parent)) is not None:
                f.files[low] = e.path
            # Register implied sub-folders up the chain (walkers may omit dir entries).
            p = parent
            for _ in range(MAX_DEPTH + 1):
                up, dname = _split(p)
                if not dname or up == p:
                    break
                if dname.lower() in _INDICATOR_DIRS and (f := folder(up)) is not None:
                    f.dirs.add(dname.lower())
                p = up
        roots = [p for p, f in folders.items() if self._is_root(f)]
        roots.sort(key=len)
        chosen: list[str] = []
        for r in roots:
            if not any(r.startswith(c.rstrip("/") + "/") for c in chosen):
                chosen.append(r)
        if not chosen:
            return
        members: dict[str, _Members] = {r: _Members() for r in chosen}
        kept = 0
        for e in entries:
            if e.type not in ("regular", "virtual", "unknown") or e.stream:
                continue
            p = _split(e.path)[0]
            for _ in range(MAX_DEPTH + 1):
                m = members.get(p)
                if m is not None:
                    m.count += 1
                    if e.mtime and (m.first_time is None or e.mtime < m.first_time):
                        m.first_time = e.mtime
                    if kept < MAX_MEMBERS_KEPT:
                        m.kept.append(e)
                        kept += 1
                    break  # chosen roots do not nest: one owner at most
                up, dname = _split(p)
                if not dname or up == p:
                    break
                p = up
        for root in sorted(chosen):
            yield root, self._summarise(root, folders[root], members[root], read)

    @staticmethod
    def _indicators(f: _Folder) -> list[str]:
        found = []
        for group, names, pool in (
            ("passwords", PASSWORD_FILES, f.files), ("system_info", INFO_FILES, f.files),
            ("screenshot", SCREENSHOTS, f.files), ("cookies_dir", COOKIE_DIRS, f.dirs),
            ("autofill_dir", AUTOFILL_DIRS, f.dirs), ("cards_dir", CARD_DIRS, f.dirs),
            ("other_dir", OTHER_DIRS, f.dirs), ("other_file", OTHER_FILES, f.files),
        ):
            if names & set(pool):
                found.append(group)
        return found

    def _is_root(self, f: _Folder) -> bool:
        ind = self._indicators(f)
        if "passwords" in ind:
            return len(ind) >= 2
        # Lumma/StealC style: system profile at the root, credentials in sub-folders.
        return "system_info" in ind and len([i for i in ind if i not in ("system_info", "other_file")]) >= 2

    def _summarise(self, root: str, f: _Folder, found: _Members, read: ReadFile) -> Artefact:
        budget = [READ_BUDGET]
        errors: list[str] = []

        def take(path: str) -> bytes:
            if budget[0] <= 0:
                return b""
            try:
                data = read(path, min(READ_MAX, budget[0]))
            except OSError as exc:
                errors.append(f"{path}: {exc}")
                return b""
            budget[0] -= len(data)
            return data

        def rel(e: Entry) -> str:
            return e.path[len(root.rstrip("/")) + 1 :]
        members = sorted(found.kept, key=lambda e: e.path)
        credentials = 0
        urls = 0
        password_text = b""
        password_paths = [e for e in members if e.name.lower() in PASSWORD_FILES]
        for e in password_paths:
            data = take(e.path)
            if not password_text:
                password_text = data[:65536]
            credentials += len(_PASSWORD_LINE.findall(data))
            urls += len(_URL_LINE.findall(data))

        def in_dir(e: Entry, names: set[str]) -> bool:
            return any(part.lower() in names for part in rel(e).split("/")[:-1])

        cards = 0
        card_files = [e for e in members if in_dir(e, CARD_DIRS) and e.name.lower().endswith(".txt")]
        for e in card_files:
            data = take(e.path)
            n = len(_CARD_LINE.findall(data))
            cards += n if n else sum(1 for ln in data.splitlines() if ln.strip())
        cookie_files = [e for e in members if in_dir(e, COOKIE_DIRS) and e.name.lower().endswith(".txt")]
        cookies = 0
        for e in cookie_files:
            data = take(e.path)
            # Netscape cookies.txt: seven tab-separated fields per cookie.
            cookies += sum(1 for ln in data.splitlines() if ln.count(b"\t") >= 6 and not ln.startswith(b"#"))
        autofill_files = [e for e in members if in_dir(e, AUTOFILL_DIRS) and e.name.lower().endswith(".txt")]
        autofills = 0
        for e in autofill_files:
            data = take(e.path)
            n = len(_AUTOFILL_LINE.findall(data))
            autofills += n if n else sum(1 for ln in data.splitlines() if ln.strip())
        info_text = b""
        for name in INFO_FILES:
            if name in f.files:
                info_text = take(f.files[name])[:65536]
                break
        family, reasons = self._family(f, password_text, info_text)
        extra: dict[str, Any] = {
            "family": family,
            "family_reasons": reasons,
            "indicators": self._indicators(f),
            "credentials": credentials,
            "credential_urls": urls,
            "cards": cards,
            "card_files": len(card_files),
            "cookies": cookies,
            "cookie_files": len(cookie_files),
            "autofills": autofills,
            "autofill_files": len(autofill_files),
            "file_count": found.count,
            "files": [rel(e) for e in members[:MAX_FILES_LISTED]],
            "files_truncated": found.count > MAX_FILES_LISTED,
            "read_errors": errors[:20],
        }
        return Artefact(
            type="stealer_log",
            value=root,
            raw=root,
            plugin=self.name,
            plugin_version=self.version,
            timestamp=unix_seconds(int(found.first_time)) if found.first_time else None,
            confidence=0.9 if family != "unknown" else 0.7,
            extra=extra,
        )

    @staticmethod
    def _family(f: _Folder, passwords: bytes, info: bytes) -> tuple[str, list[str]]:
        """A best guess from layout and text markers; documented in docs/artefacts-structured.md."""
        files, dirs = set(f.files), f.dirs
        low_pw, low_info = passwords.lower(), info.lower()
        if "userinformation.txt" in files and (b"url:" in low_pw and b"username:" in low_pw):
            reasons = ["UserInformation.txt", "Passwords.txt URL:/Username:/Password: blocks"]
            if "domaindetects.txt" in files or "importantautofills.txt" in files:
                reasons.append("DomainDetects.txt/ImportantAutofills.txt")
            return "RedLine/META", reasons
        if "system info.txt" in files and (b"url:" in low_pw or b"user:" in low_pw or b"pass:" in low_pw):
            return "Raccoon", ["System Info.txt", "passwords.txt URL:/USER:/PASS: blocks"]
        if "information.txt" in files and b"soft:" in low_pw and b"host:" in low_pw:
            return "Vidar/StealC", ["information.txt", "passwords.txt Soft:/Host:/Login:/Password: blocks"]
        if "system.txt" in files and ({"important files", "browsers"} & dirs or b"lumma" in low_info):
            return "Lumma", ["System.txt", "Browsers/ or Important Files/ folder"]
        if b"build id:" in low_info or b"hwid:" in low_info:
            return "RedLine-like", ["Build ID/HWID in system profile"]
        return "unknown", []


@hookimpl
def triage_extractors() -> list[object]:
    return [StealerLogAnalyser()]
