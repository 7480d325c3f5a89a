"""Chromium-family browser databases: Chrome, Edge, Brave, Opera, Vivaldi, Chromium.

History gives every visit (not just each URL's last one, which is what an
examiner's timeline needs), downloads and typed search terms; Web Data gives
form autofill, address profiles and saved cards; Login Data which sites had
saved credentials; Cookies which sites were signed in to. Secrets (card
numbers, passwords, cookie values) are never decrypted or copied: only that
they exist is recorded, which is what a triage warrant usually covers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.plugin_api import Artefact, Entry, hookimpl
from triage_plugins import _times
from triage_plugins._sqlite_copy import open_copy, select, tables
from triage_plugins.browsers.common import Origin, artefact, detect, entry_matches, fallback


HISTORY_FILES = {"History", "Archived History"}
WEBDATA_FILES = {"Web Data"}
LOGIN_FILES = {"Login Data", "Login Data For Account"}
COOKIE_FILES = {"Cookies"}
ALL_FILES = HISTORY_FILES | WEBDATA_FILES | LOGIN_FILES | COOKIE_FILES

#: core page transition (low byte of visits.transition), ui/base/page_transition_types.h
TRANSITIONS = {
    0: "link", 1: "typed", 2: "auto_bookmark", 3: "auto_subframe", 4: "manual_subframe",
    5: "generated", 6: "auto_toplevel", 7: "form_submit", 8: "reload", 9: "keyword",
    10: "keyword_generated",
}
#: history::DownloadState as stored in downloads.state
DOWNLOAD_STATES = {0: "in_progress", 1: "complete", 2: "cancelled", 3: "interrupted", 4: "interrupted"}
#: autofill FieldType numbers used in address_type_tokens (components/autofill/core/browser/field_types.h)
FIELD_TYPES = {
    3: "first_name", 4: "middle_name", 5: "last_name", 6: "middle_initial", 7: "full_name",
    9: "email", 10: "phone_number", 11: "phone_city_code", 12: "phone_country_code",
    13: "phone_city_and_number", 14: "phone", 30: "address_line1", 31: "address_line2",
    32: "apartment", 33: "city", 34: "state", 35: "postcode", 36: "country", 60: "company",
    77: "street_address", 79: "sorting_code", 81: "dependent_locality", 83: "address_line3",
    103: "honorific_prefix",
}


def _transition(value: Any) -> str | None:
    if value is None:
        return None
    return TRANSITIONS.get(int(value) & 0xFF, f"type_{int(value) & 0xFF}")


class ChromiumParser:
    """History, Web Data, Login Data and Cookies of any Chromium-based browser."""

    name = "chromium"
    version = "1.0.0"
    kind = "file"
    emits = ("url", "download", "search_term", "autofill", "saved_card", "saved_login", "cookie")
    max_bytes = 2 * 1024**3
    companion_suffixes = ("-wal", "-journal")

    def wants(self, entry: Entry, mime: str | None) -> bool:
        return entry_matches(entry, ALL_FILES, "chromium", mime)

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        origin = detect(entry.path, "chromium") or fallback(entry.path, "chromium")
        with open_copy(path) as conn:
            have = tables(conn)
            if entry.name in HISTORY_FILES or "visits" in have:
                yield from self._history(conn, have, origin)
            if entry.name in WEBDATA_FILES or "autofill" in have:
                yield from self._webdata(conn, have, origin)
            if entry.name in LOGIN_FILES or "logins" in have:
                yield from self._logins(conn, have, origin)
            if entry.name in COOKIE_FILES or "cookies" in have:
                yield from self._cookies(conn, have, origin)

    # -- History -----------------------------------------------------------
    def _history(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        urls: dict[int, dict[str, Any]] = {}
        if "urls" in have:
            for row in select(conn, "urls", ["id", "url", "title", "visit_count", "typed_count",
                                             "last_visit_time", "hidden"]):
                urls[row["id"]] = row
        visited: set[int] = set()
        if "visits" in have:
            for v in select(conn, "visits", ["id", "url", "visit_time", "from_visit", "transition",
                                             "visit_duration", "external_referrer_url"],
                            order_by="visit_time, id"):
                u = urls.get(v["url"])
                if u is None or not u["url"]:
                    continue
                visited.add(u["id"])
                duration = v["visit_duration"]
                yield artefact(self, "url", u["url"], origin, _times.webkit(v["visit_time"]), {
                    "title": u["title"],
                    "visit_count": u["visit_count"],
                    "typed_count": u["typed_count"],
                    "transition": _transition(v["transition"]),
                    "visit_id": v["id"],
                    "from_visit": v["from_visit"] or None,
                    "visit_duration_s": round(duration / 1e6, 3) if duration else None,
                    "external_referrer_url": v["external_referrer_url"] or None,
                    "hidden": bool(u["hidden"]) if u["hidden"] is not None else None,
                }, context="visits")
        # URLs whose visit rows have expired still carry their last visit time.
        # Rows with no time at all (hidden redirect/download targets) are not visits.
        for uid, u in urls.items():
            if uid in visited or not u["url"] or not u["last_visit_time"]:
                continue
            yield artefact(self, "url", u["url"], origin, _times.webkit(u["last_visit_time"]), {
                "title": u["title"],
                "visit_count": u["visit_count"],
                "typed_count": u["typed_count"],
                "transition": None,
                "visit_id": None,
                "time_basis": "urls.last_visit_time (no visit row)",
            }, context="urls")
        yield from self._downloads(conn, have, origin)
        if "keyword_search_terms" in have:
            for row in select(conn, "keyword_search_terms", ["keyword_id", "url_id", "term", "normalized_term"]):
                if not row["term"]:
                    continue
                u = urls.get(row["url_id"]) or {}
                yield artefact(self, "search_term", row["term"], origin,
                               _times.webkit(u.get("last_visit_time")), {
                                   "url": u.get("url"),
                                   "normalized_term": row["normalized_term"],
                                   "keyword_id": row["keyword_id"],
                                   "time_basis": "last visit of the results page",
                               })

    def _downloads(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        if "downloads" not in have:
            return
        chains: dict[int, list[str]] = {}
        if "downloads_url_chains" in have:
            for row in select(conn, "downloads_url_chains", ["id", "chain_index", "url"],
                              order_by="id, chain_index"):
                chains.setdefault(row["id"], []).append(row["url"])
        for d in select(conn, "downloads", [
            "id", "guid", "current_path", "target_path", "full_path", "url", "start_time", "end_time",
            "received_bytes", "total_bytes", "state", "danger_type", "interrupt_reason", "opened",
            "last_access_time", "referrer", "site_url", "tab_url", "tab_referrer_url", "mime_type",
            "original_mime_type", "by_ext_name",
        ]):
            chain = chains.get(d["id"]) or ([d["url"]] if d["url"] else [])
            if not chain:
                continue
            state = d["state"]
            # Before History v24 (Chrome 26) downloads kept full_path and POSIX-second times.
            when = _times.unix_seconds if d["full_path"] is not None else _times.webkit
            yield artefact(self, "download", chain[-1], origin, when(d["start_time"]), {
                "target_path": d["target_path"] or d["full_path"],
                "current_path": d["current_path"],
                "size": d["total_bytes"] if d["total_bytes"] not in (None, -1) else d["received_bytes"],
                "received_bytes": d["received_bytes"],
                "start_time": when(d["start_time"]),
                "end_time": when(d["end_time"]),
                "last_access_time": _times.webkit(d["last_access_time"]),
                "state": DOWNLOAD_STATES.get(state, str(state)) if state is not None else None,
                "danger_type": d["danger_type"],
                "interrupt_reason": d["interrupt_reason"],
                "opened": bool(d["opened"]) if d["opened"] is not None else None,
                "url_chain": chain,
                "referrer": d["referrer"] or None,
                "tab_url": d["tab_url"] or None,
                "site_url": d["site_url"] or None,
                "mime_type": d["mime_type"] or None,
                "by_extension": d["by_ext_name"] or None,
            })

    # -- Web Data ----------------------------------------------------------
    def _webdata(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        if "autofill" in have:
            for row in select(conn, "autofill", ["name", "value", "count", "date_created", "date_last_used"]):
                if row["name"] is None or row["value"] is None:
                    continue
                last = _times.unix_seconds(row["date_last_used"])
                yield artefact(self, "autofill", f"{row['name']}={row['value']}", origin, last, {
                    "field": row["name"],
                    "value": row["value"],
                    "count": row["count"],
                    "first_used": _times.unix_seconds(row["date_created"]),
                    "last_used": last,
                    "kind": "form_field",
                }, context="autofill")
        yield from self._profiles(conn, have, origin)
        yield from self._cards(conn, have, origin)

    def _profiles(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        """Address profiles: old split tables or the newer typed-token tables."""
        profiles: dict[str, dict[str, Any]] = {}
        fields: dict[str, list[tuple[str, str]]] = {}

        def add(guid: Any, field: str, value: Any) -> None:
            if guid is None or value in (None, ""):
                return
            pair = (field, str(value))
            if pair not in fields.setdefault(guid, []):
                fields[guid].append(pair)

        if "autofill_profiles" in have:
            cols = ["guid", "company_name", "street_address", "dependent_locality", "city", "state",
                    "zipcode", "sorting_code", "country_code", "date_modified", "use_count", "use_date",
                    "address_line_1", "address_line_2"]
            for row in select(conn, "autofill_profiles", cols):
                profiles[row["guid"]] = {"use_count": row["use_count"], "use_date": row["use_date"],
                                         "date_modified": row["date_modified"], "table": "autofill_profiles"}
                for c in cols[1:9] + cols[12:]:
                    add(row["guid"], {"zipcode": "postcode", "country_code": "country",
                                      "company_name": "company"}.get(c, c), row[c])
            for table, cols2 in (("autofill_profile_names", ["full_name", "first_name", "middle_name",
                                                             "last_name"]),
                                 ("autofill_profile_emails", ["email"]),
                                 ("autofill_profile_phones", ["number"])):
                if table in have:
                    for row in select(conn, table, ["guid", *cols2]):
                        for c in cols2:
                            add(row["guid"], "phone" if c == "number" else c, row[c])
        for table, tokens in (("addresses", "address_type_tokens"),
                              ("local_addresses", "local_addresses_type_tokens"),
                              ("contact_info", "contact_info_type_tokens")):
            if table in have:
                for row in select(conn, table, ["guid", "use_count", "use_date", "date_modified"]):
                    profiles.setdefault(row["guid"], {"use_count": row["use_count"], "use_date": row["use_date"],
                                                      "date_modified": row["date_modified"], "table": table})
            if tokens in have:
                for row in select(conn, tokens, ["guid", "type", "value"]):
                    t = row["type"]
                    add(row["guid"], FIELD_TYPES.get(t, f"field_{t}") if t is not None else "unknown", row["value"])
        for guid, pairs in fields.items():
            meta = profiles.get(guid, {})
            last = _times.unix_seconds(meta.get("use_date"))
            for field, value in pairs:
                yield artefact(self, "autofill", f"{field}={value}", origin, last, {
                    "field": field,
                    "value": value,
                    "count": meta.get("use_count"),
                    "first_used": None,
                    "last_used": last,
                    "modified": _times.unix_seconds(meta.get("date_modified")),
                    "kind": "address_profile",
                    "profile_guid": guid,
                    "table": meta.get("table"),
                }, context="address profile")

    def _cards(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        if "credit_cards" in have:
            for row in select(conn, "credit_cards", ["guid", "name_on_card", "expiration_month", "expiration_year",
                                                     "card_number_encrypted", "nickname", "use_count", "use_date",
                                                     "date_modified", "origin"]):
                yield self._card(origin, row["name_on_card"], row["expiration_month"], row["expiration_year"],
                                 None, row["nickname"], None, row, "credit_cards",
                                 encrypted_number=bool(row["card_number_encrypted"]))
        if "masked_credit_cards" in have:
            for row in select(conn, "masked_credit_cards", ["id", "name_on_card", "network", "type", "last_four",
                                                            "exp_month", "exp_year", "bank_name", "nickname",
                                                            "use_count", "use_date"]):
                yield self._card(origin, row["name_on_card"], row["exp_month"], row["exp_year"],
                                 row["last_four"], row["nickname"], row["network"] or row["type"], row,
                                 "masked_credit_cards", encrypted_number=False, bank=row["bank_name"])

    def _card(self, origin: Origin, name: Any, month: Any, year: Any, last_four: Any, nickname: Any,
              network: Any, row: dict[str, Any], table: str, encrypted_number: bool,
              bank: Any = None) -> Artefact:
        expiry = f"{int(month):02d}/{int(year):04d}" if month and year else ""
        parts = [name or "", expiry]
        if last_four:
            parts.append(str(last_four))
        last = _times.unix_seconds(row.get("use_date"))
        return artefact(self, "saved_card", " | ".join(parts), origin, last, {
            "name_on_card": name,
            "expiration_month": int(month) if month else None,
            "expiration_year": int(year) if year else None,
            "nickname": nickname or None,
            "last_four": str(last_four) if last_four else None,
            "network": network or None,
            "bank_name": bank or None,
            "card_number_encrypted_present": encrypted_number,
            "use_count": row.get("use_count"),
            "last_used": last,
            "modified": _times.unix_seconds(row.get("date_modified")),
            "table": table,
        }, context=table)

    # -- Login Data --------------------------------------------------------
    def _logins(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        if "logins" not in have:
            return
        for row in select(conn, "logins", ["id", "origin_url", "action_url", "signon_realm", "username_value",
                                           "password_value", "date_created", "date_last_used",
                                           "date_password_modified", "times_used", "blacklisted_by_user",
                                           "scheme"]):
            url = row["origin_url"] or row["signon_realm"] or ""
            user = row["username_value"] or ""
            created = _times.webkit(row["date_created"])
            last_used = _times.webkit(row["date_last_used"])
            yield artefact(self, "saved_login", f"{url} {user}".strip(), origin, last_used or created, {
                "origin_url": url,
                "action_url": row["action_url"] or None,
                "signon_realm": row["signon_realm"],
                "username": user or None,
                "password_present": bool(row["password_value"]),
                "never_save": bool(row["blacklisted_by_user"]),
                "times_used": row["times_used"],
                "created": created,
                "last_used": last_used,
                "password_modified": _times.webkit(row["date_password_modified"]),
            }, context="logins")

    # -- Cookies -----------------------------------------------------------
    def _cookies(self, conn: sqlite3.Connection, have: set[str], origin: Origin) -> Iterator[Artefact]:
        if "cookies" not in have:
            return
        for row in select(conn, "cookies", ["host_key", "name", "path", "creation_utc", "expires_utc",
                                            "last_access_utc", "last_update_utc", "is_secure", "is_httponly",
                                            "is_persistent", "secure", "httponly", "persistent"]):
            if not row["host_key"]:
                continue
            created = _times.webkit(row["creation_utc"])
            secure = row["is_secure"] if row["is_secure"] is not None else row["secure"]
            httponly = row["is_httponly"] if row["is_httponly"] is not None else row["httponly"]
            yield artefact(self, "cookie", f"{row['host_key']} {row['name']}", origin, created, {
                "host": row["host_key"],
                "name": row["name"],
                "path": row["path"],
                "created": created,
                "expires": _times.webkit(row["expires_utc"]),
                "last_access": _times.webkit(row["last_access_utc"]),
                "secure": bool(secure) if secure is not None else None,
                "httponly": bool(httponly) if httponly is not None else None,
            }, context="cookies")


@hookimpl
def triage_extractors() -> list[object]:
    return [ChromiumParser()]
