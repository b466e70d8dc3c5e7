"""The stewards' search: profiles by name (any script), birth date, postcode or the end of
a phone number, through the search keys filed in the blocking index
(``matchers.search_keys``), never by scanning the store.

Every criterion given must hold (profiles found by each, intersected); a phone fragment
also has to be found in one of the profile's phone numbers. Answers are pages of
profiles in profile ID order (``after`` is the last ID of the page before). A search is
a read of personal data: each is written to the audit log with who asked, which criteria
(by name, never their values) and how many profiles were found.

Person records filed before search keys existed are found once their data is loaded again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from graph.records import AuditRow
from graph.store import GraphStore, GraphTransaction
from identity.errors import InputRefused, Refusal
from identity.profile import Profile
from identity.timeutil import format_timestamp
from matchers.search_keys import PHONE_DIGITS, phone_matches, query_keys

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class SearchPage:
    profiles: list[Profile]
    next_after: str | None
    """The ``after`` of the next page, or None on the last."""


class PersonSearch:
    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def search(
        self,
        actor: str,
        *,
        name: str | None = None,
        date_of_birth: str | None = None,
        postcode: str | None = None,
        phone: str | None = None,
        after: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        keys = query_keys(name, date_of_birth, postcode, phone)
        _check(keys, name=name, date_of_birth=date_of_birth, postcode=postcode, phone=phone)
        limit = max(1, min(limit, MAX_PAGE))

        def work(tx: GraphTransaction) -> SearchPage:
            found = _profiles_matching(tx, keys, phone)
            ids = sorted(p for p in found if after is None or p > after)
            page = ids[: limit + 1]
            rows = tx.get_profiles(page[:limit])
            profiles = [Profile(rows[p]) for p in page[:limit] if p in rows]
            detail = {"criteria": sorted(keys), "found": len(found), "returned": len(profiles)}
            now = format_timestamp(datetime.now(UTC))
            tx.append_audit([AuditRow(0, now, actor, "search", json.dumps(detail))])
            return SearchPage(profiles, page[limit - 1] if len(page) > limit else None)

        return self._store.write(work)


def _profiles_matching(
    tx: GraphTransaction, keys: Mapping[str, str], phone: str | None
) -> set[str]:
    members = tx.block_members(set(keys.values()))
    found: set[str] | None = None
    for key in keys.values():
        records = tx.person_records(set(members.get(key, [])))
        anchors = {row.identifier_key for row in records.values()}
        profiles = {p for p in tx.profile_ids(anchors).values() if p is not None}
        found = profiles if found is None else found & profiles
    if not found or not phone:
        return found or set()
    holding = tx.identifiers_of(found)
    return {
        pid
        for pid, identifiers in holding.items()
        if any(i.type == "phone" and phone_matches(phone, i.value) for i in identifiers)
    }


def _check(keys: Mapping[str, str], **given: str | None) -> None:
    refusals = []
    if given.get("name") and "name" not in keys:
        refusals.append(
            Refusal("name", given["name"], "search.name", "a family name and a given name")
        )
    if given.get("date_of_birth") and "date_of_birth" not in keys:
        refusals.append(
            Refusal("date_of_birth", given["date_of_birth"], "search.date", "YYYY-MM-DD")
        )
    if given.get("phone") and "phone" not in keys:
        refusals.append(
            Refusal("phone", given["phone"], "search.phone", f"at least {PHONE_DIGITS} digits")
        )
    if given.get("postcode") and "postcode" not in keys:
        refusals.append(Refusal("postcode", given["postcode"], "search.postcode", "a postcode"))
    if refusals:
        raise InputRefused(refusals)
    if not keys:
        raise InputRefused(
            [
                Refusal(
                    "query",
                    None,
                    "search.criteria",
                    "give at least one of name, date_of_birth, postcode, phone",
                )
            ]
        )
