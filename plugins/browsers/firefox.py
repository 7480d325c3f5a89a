"""Firefox-family profiles: places.sqlite, formhistory.sqlite, cookies.sqlite, logins.json.

Firefox keeps one row per visit in moz_historyvisits (so every visit is
reported, as for Chromium), downloads as page annotations, and form and
search-bar entries in formhistory. logins.json encrypts usernames as well
as passwords, so only the site and the fact of a saved login are reported.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from triage.plugin_api import Artefact, Entry, hookimpl
from triage_plugins import _times
from triage_plugins._sqlite_copy import open_copy, select, tables
from triage_plugins.browsers.common import Origin, artefact, detect, entry_matches, fallback


SQLITE_FILES = {"places.sqlite", "formhistory.sqlite", "cookies.sqlite", "downloads.sqlite"}
JSON_FILES = {"logins.json", "signons.json"}
#: nsINavHistoryService transition types (moz_historyvisits.visit_type)
VISIT_TYPES = {
    1: "link", 2: "typed", 3: "bookmark", 4: "embed", 5: "redirect_permanent", 6: "redirect_temporary",
    7: "download", 8: "framed_link", 9: "reload",
}
#: downloads/metaData "state" (DownloadsCommon / nsIDownloadManager)
DOWNLOAD_STATES = {0: "in_progress", 1: "complete", 2: "failed", 3: "cancelled", 4: "paused", 7: "blocked",
                   8: "dirty"}
#: formhistory field names that the search bar and about:newtab write
SEARCH_FIELDS = {"searchbar-history"}
LOGINS_MAX = 64 * 1024 * 1024


class FirefoxParser:
    """Firefox (and Firefox-derived) profile databases."""

    name = "firefox"
    version = "1.0.0"
    kind = "file"
    emits = ("url", "download", "search_term", "autofill", "saved_login", "cookie")
    max_bytes = 2 * 1024**3
    companion_suffixes = ("-wal", "-journal")

    def wants(self, entry: Entry, mime: str | None) -> bool:
        return entry_matches(entry, SQLITE_FILES | JSON_FILES, "firefox", mime)

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        origin = detect(entry.path, "firefox") or fallback(entry.path, "firefox")
        if entry.name in JSON_FILES:
            yield from self._logins(path, origin)
            return
        with open_copy(path) as conn:
            have = tables(conn)
            if "moz_places" in have:
                yield from self._places(conn, have, origin)
            if "moz_formhistory" in have:
                yield from self._formhistory(conn, origin)
            if "moz_cookies" in have:
                yield from self._cookies(conn, origin)
            if "moz_downloads" in have:
                yield from self._legacy_downloads(conn, origin)

    def _places(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        places = {r["id"]: r for r in select(conn, "moz_places", ["id", "url", "title", "visit_count", "typed",
                                                                   "hidden", "last_visit_date", "frecency"])}
        visited: set[int] = set()
        if "moz_historyvisits" in have:
            for v in select(conn, "moz_historyvisits", ["id", "place_id", "visit_date", "visit_type",
                                                        "from_visit", "source"], order_by="visit_date, id"):
                p = places.get(v["place_id"])
                if p is None or not p["url"]:
                    continue
                visited.add(p["id"])
                vt = v["visit_type"]
                yield artefact(self, "url", p["url"], origin, _times.prtime(v["visit_date"]), {
                    "title": p["title"],
                    "visit_count": p["visit_count"],
                    "typed_count": p["typed"],
                    "transition": VISIT_TYPES.get(vt, f"type_{vt}") if vt is not None else None,
                    "visit_id": v["id"],
                    "from_visit": v["from_visit"] or None,
                    "hidden": bool(p["hidden"]) if p["hidden"] is not None else None,
                }, context="moz_historyvisits")
        for pid, p in places.items():
            # Bookmarked-but-never-visited places have no last_visit_date: not history.
            if pid in visited or not p["url"] or not p["last_visit_date"]:
                continue
            yield artefact(self, "url", p["url"], origin, _times.prtime(p["last_visit_date"]), {
                "title": p["title"],
                "visit_count": p["visit_count"],
                "typed_count": p["typed"],
                "transition": None,
                "visit_id": None,
                "time_basis": "moz_places.last_visit_date (no visit row)",
            }, context="moz_places")
        if "moz_annos" in have and "moz_anno_attributes" in have:
            yield from self._anno_downloads(conn, places, origin)

    def _anno_downloads(self, conn: sqlite3.Connection, places: dict[int, Any], origin: Origin) -> Iterator[Artefact]:
        attrs = {r["id"]: r["name"] for r in select(conn, "moz_anno_attributes", ["id", "name"])}
        per_place: dict[int, dict[str, Any]] = {}
        for a in select(conn, "moz_annos", ["place_id", "anno_attribute_id", "content", "dateAdded"]):
            name = attrs.get(a["anno_attribute_id"])
            if name not in ("downloads/destinationFileURI", "downloads/metaData", "downloads/destinationFileName"):
                continue
            d = per_place.setdefault(a["place_id"], {})
            d[name] = a["content"]
            d["added"] = min(filter(None, [d.get("added"), a["dateAdded"]]), default=None)
        for pid, d in sorted(per_place.items()):
            p = places.get(pid)
            if p is None or not p["url"]:
                continue
            meta: dict[str, Any] = {}
            if d.get("downloads/metaData"):
                try:
                    meta = json.loads(d["downloads/metaData"])
                except (ValueError, TypeError):
                    meta = {}
            dest = d.get("downloads/destinationFileURI")
            target = unquote(urlparse(dest).path) if dest and dest.startswith("file:") else dest
            if target and len(target) > 2 and target[0] == "/" and target[2] == ":":
                target = target[1:]  # file:///C:/... → C:/...
            state = meta.get("state")
            start = _times.prtime(d.get("added"))
            yield artefact(self, "download", p["url"], origin, start, {
                "target_path": target,
                "size": meta.get("fileSize"),
                "start_time": start,
                "end_time": _times.unix_millis(meta.get("endTime")),
                "state": DOWNLOAD_STATES.get(state, str(state)) if state is not None else None,
                "deleted": meta.get("deleted"),
                "title": p["title"],
            }, context="moz_annos")

    def _legacy_downloads(self, conn: sqlite3.Connection, origin: Origin) -> Iterator[Artefact]:
        """downloads.sqlite (Firefox < 21)."""
        for d in select(conn, "moz_downloads", ["id", "name", "source", "target", "startTime", "endTime",
                                                "state", "referrer", "currBytes", "maxBytes", "mimeType"]):
            if not d["source"]:
                continue
            start = _times.prtime(d["startTime"])
            target = d["target"]
            if target and target.startswith("file:"):
                target = unquote(urlparse(target).path)
            yield artefact(self, "download", d["source"], origin, start, {
                "target_path": target,
                "size": d["maxBytes"] if d["maxBytes"] not in (None, -1) else d["currBytes"],
                "start_time": start,
                "end_time": _times.prtime(d["endTime"]),
                "state": DOWNLOAD_STATES.get(d["state"], str(d["state"])) if d["state"] is not None else None,
                "referrer": d["referrer"],
                "mime_type": d["mimeType"],
            }, context="moz_downloads")

    def _formhistory(self, conn: sqlite3.Connection, origin: Origin) -> Iterator[Artefact]:
        for row in select(conn, "moz_formhistory", ["id", "fieldname", "value", "timesUsed", "firstUsed",
                                                    "lastUsed"], order_by="id"):
            if row["fieldname"] is None or row["value"] is None:
                continue
            last = _times.prtime(row["lastUsed"])
            extra = {
                "field": row["fieldname"],
                "value": row["value"],
                "count": row["timesUsed"],
                "first_used": _times.prtime(row["firstUsed"]),
                "last_used": last,
                "kind": "form_field",
            }
            yield artefact(self, "autofill", f"{row['fieldname']}={row['value']}", origin, last, extra,
                           context="moz_formhistory")
            if row["fieldname"] in SEARCH_FIELDS:
                yield artefact(self, "search_term", row["value"], origin, last, {
                    "url": None, "count": row["timesUsed"], "first_used": extra["first_used"],
                    "time_basis": "formhistory lastUsed",
                }, context="moz_formhistory")

    def _cookies(self, conn: sqlite3.Connection, origin: Origin) -> Iterator[Artefact]:
        for row in select(conn, "moz_cookies", ["id", "host", "name", "path", "expiry", "lastAccessed",
                                                "creationTime", "isSecure", "isHttpOnly", "originAttributes"],
                          order_by="id"):
            if not row["host"]:
                continue
            created = _times.prtime(row["creationTime"])
            yield artefact(self, "cookie", f"{row['host']} {row['name']}", origin, created, {
                "host": row["host"],
                "name": row["name"],
                "path": row["path"],
                "created": created,
                "expires": _times.unix_seconds(row["expiry"]),
                "last_access": _times.prtime(row["lastAccessed"]),
                "secure": bool(row["isSecure"]) if row["isSecure"] is not None else None,
                "httponly": bool(row["isHttpOnly"]) if row["isHttpOnly"] is not None else None,
                "origin_attributes": row["originAttributes"] or None,
            }, context="moz_cookies")

    def _logins(self, path: Path, origin: Origin) -> Iterator[Artefact]:
        size = path.stat().st_size
        if size > LOGINS_MAX:
            raise ValueError(f"{path.name}: {size} bytes is too large for a logins file")
        try:
            doc = json.loads(path.read_bytes())
        except ValueError as exc:
            raise ValueError(f"{path.name}: not valid JSON: {exc}") from exc
        logins = doc.get("logins") if isinstance(doc, dict) else None
        if not isinstance(logins, list):
            raise ValueError(f"{path.name}: no 'logins' list")
        for login in logins:
            if not isinstance(login, dict) or not login.get("hostname"):
                continue
            created = _times.unix_millis(login.get("timeCreated"))
            last_used = _times.unix_millis(login.get("timeLastUsed"))
            yield artefact(self, "saved_login", login["hostname"], origin, last_used or created, {
                "origin_url": login["hostname"],
                "action_url": login.get("formSubmitURL") or None,
                "http_realm": login.get("httpRealm"),
                "username": None,
                "encrypted": True,
                "password_present": bool(login.get("encryptedPassword")),
                "times_used": login.get("timesUsed"),
                "created": created,
                "last_used": last_used,
                "password_modified": _times.unix_millis(login.get("timePasswordChanged")),
            }, context="logins.json")


@hookimpl
def triage_extractors() -> list[object]:
    return [FirefoxParser()]
