"""What Chromium- and Firefox-family parsers share: telling browser and profile from a path.

An examiner needs to know *which* browser and *which* profile a visit came
from (two people sharing one Windows account often use separate profiles),
and the file itself does not say: the folder layout does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from triage.plugin_api import Artefact, Entry


# (lower-case path fragment, browser name); first match wins, so more
# specific fragments (Chrome Beta, Edge Dev) come before their parents.
CHROMIUM_MARKERS: tuple[tuple[str, str], ...] = (
    ("/google/chrome beta/", "Chrome Beta"),
    ("/google/chrome sxs/", "Chrome Canary"),
    ("/google/chrome canary/", "Chrome Canary"),
    ("/google/chrome/", "Chrome"),
    ("/google-chrome-beta/", "Chrome Beta"),
    ("/google-chrome/", "Chrome"),
    ("/bravesoftware/brave-browser/", "Brave"),
    ("/microsoft/edge beta/", "Edge Beta"),
    ("/microsoft/edge dev/", "Edge Dev"),
    ("/microsoft/edge/", "Edge"),
    ("/microsoft-edge/", "Edge"),
    ("/opera software/opera gx stable/", "Opera GX"),
    ("/opera software/opera stable/", "Opera"),
    ("/com.operasoftware.opera/", "Opera"),
    ("/opera/", "Opera"),
    ("/vivaldi/", "Vivaldi"),
    ("/yandex/yandexbrowser/", "Yandex"),
    ("/chromium/", "Chromium"),
)
FIREFOX_MARKERS: tuple[tuple[str, str], ...] = (
    ("/mozilla/firefox/", "Firefox"),
    ("/.mozilla/firefox/", "Firefox"),
    ("/application support/firefox/", "Firefox"),
    ("/librewolf/", "LibreWolf"),
    ("/waterfox/", "Waterfox"),
    ("/thunderbird/", "Thunderbird"),
)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a browser database sits: browser, profile name and the file's name."""

    browser: str
    profile: str | None
    database: str

    def source(self) -> dict[str, Any]:
        return {"browser": self.browser, "profile": self.profile, "database": self.database}


def _match(path: str, markers: tuple[tuple[str, str], ...]) -> tuple[str, int] | None:
    low = "/" + path.replace("\\", "/").lower().lstrip("/")
    for fragment, name in markers:
        at = low.find(fragment)
        if at >= 0:
            return name, at + len(fragment) - 1  # index in `low` of the slash after the marker
    return None


def detect(entry_path: str, family: str) -> Origin | None:
    """Browser and profile from an entry path; None when the path shows no known browser.

    The profile is the folder right under ``User Data`` (Chromium on Windows)
    or the product folder (macOS/Linux), e.g. ``Default`` or ``Profile 2``;
    Opera keeps files in its product folder, so its profile reads
    ``Opera Stable``. For Firefox it is the ``xxxxxxxx.default-release`` folder.
    """
    markers = CHROMIUM_MARKERS if family == "chromium" else FIREFOX_MARKERS
    found = _match(entry_path, markers)
    norm = "/" + entry_path.replace("\\", "/").lstrip("/")
    parts = norm.split("/")
    database = parts[-1]
    if found is None:
        return None
    browser, _ = found
    folders = parts[1:-1]
    if folders and folders[-1].lower() == "network":  # Chromium >= 96 moved Cookies here
        folders = folders[:-1]
    profile: str | None = folders[-1] if folders else None
    if family == "chromium" and profile and profile.lower() == "user data":
        profile = None
    return Origin(browser=browser, profile=profile, database=database)


def fallback(entry_path: str, family: str) -> Origin:
    """An Origin for a browser file found outside a known layout (copied out, renamed folders)."""
    parts = entry_path.replace("\\", "/").rstrip("/").split("/")
    profile = parts[-2] if len(parts) >= 2 and parts[-2] else None
    if profile and profile.lower() == "network" and len(parts) >= 3:
        profile = parts[-3] or None
    return Origin(browser="Chromium-based" if family == "chromium" else "Firefox-based", profile=profile,
                  database=parts[-1])


def artefact(
    plugin: Any,
    type_: str,
    value: str,
    origin: Origin,
    timestamp: str | None,
    extra: dict[str, Any],
    raw: str = "",
    context: str = "",
) -> Artefact:
    """One browser record as an Artefact, with the schema's ``source`` block."""
    data = dict(extra)
    data["source"] = origin.source()
    return Artefact(
        type=type_,
        value=value,
        raw=raw or value,
        context=context,
        plugin=plugin.name,
        plugin_version=plugin.version,
        timestamp=timestamp,
        extra=data,
    )


def entry_matches(entry: Entry, names: set[str], family: str, mime: str | None) -> bool:
    """A browser file by name, in a browser's folder or typed as SQLite/JSON by libmagic."""
    if entry.type not in ("regular", "virtual", "unknown") or entry.stream:
        return False
    if entry.name not in names:
        return False
    if detect(entry.path, family) is not None:
        return True
    return mime is not None and ("sqlite" in mime or "json" in mime)
