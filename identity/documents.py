"""Writing what resolution decided: profile documents, their lineage, the change feed.

For every profile a ``Resolution`` marks changed, the writer builds the document (golden
values by survivorship, consent per purpose, first and last sighting) and appends the
profile's lineage events (``merge``, ``split``, ``split_from``); merges and splits are
also change-feed events.

A document grows incrementally (the earlier documents' values and the batch's new facts)
when every old profile its piece touches lies wholly in it; otherwise (a split, a
survivorship rule that needs every fact, ``rebuild_all``) it is rebuilt from all the facts
of its identifiers. Consent is re-read for a profile that is rebuilt, merged or named by
a statement of the batch; any other keeps its stored consent.
"""

from __future__ import annotations

import json
from typing import Any

from graph.records import ChangeRow, ConsentRow, FactRow, ProfileRow
from graph.store import GraphTransaction
from identity.canonical_json import canonical_json
from identity.cluster import Resolution
from identity.profile import (
    GoldenValue,
    Survivorship,
    build_document,
    consent_document,
    document_candidates,
    fact_candidates,
)
from identity.staging import Growth
from identity.timeutil import utc_now


class DocumentWriter:
    """Writes the documents, lineage and change-feed events a ``Resolution`` calls for."""

    def __init__(self, survivorship: Survivorship, purposes: tuple[str, ...]) -> None:
        self._survivorship = survivorship
        self._purposes = purposes

    def write(
        self, tx: GraphTransaction, resolution: Resolution, growth: Growth, rebuild_all: bool
    ) -> None:
        """Write the documents of the changed profiles and the change-feed events.
        ``growth``: what the batch added (its facts and consent statements)."""
        cluster = resolution.cluster
        pieces = resolution.pieces
        ids = resolution.ids
        changed = resolution.changed
        owner = resolution.owner
        merged = resolution.merged
        split = resolution.split
        if not changed:
            return
        # A piece grows incrementally when every old profile it touches lies wholly in it.
        whole: dict[str, bool] = {}
        for pid, members in cluster.members.items():
            targets = {owner.get(k) for k in members}
            whole[pid] = len(targets) == 1 and None not in targets
        full: set[str] = set()
        for piece, pid in zip(pieces, ids, strict=True):
            if pid not in changed:
                continue
            olds = {cluster.identifiers[k].profile_id for k in piece} - {None}
            if (
                rebuild_all
                or self._survivorship.needs_all_facts
                or not all(whole.get(o or "", False) for o in olds)
            ):
                full.add(pid)

        members_of = {pid: piece for piece, pid in zip(pieces, ids, strict=True)}
        full_keys = [k for pid in full for k in members_of[pid]]
        facts_full: dict[str, list[FactRow]] = {}
        for fact in tx.facts_of(full_keys):
            facts_full.setdefault(owner[fact.identifier_key], []).append(fact)
        batch_facts: dict[str, list[FactRow]] = {}
        for fact in growth.facts:
            if fact.identifier_key in owner:
                batch_facts.setdefault(owner[fact.identifier_key], []).append(fact)

        consent_due = (changed & (full | set(merged))) | {
            owner[c.subject_key] for c in growth.consent if c.subject_key in owner
        }
        consent_due &= changed
        consent_rows: dict[str, list[ConsentRow]] = {pid: [] for pid in consent_due}
        due_keys = {k: owner[k] for pid in consent_due for k in members_of[pid]}
        for statement in tx.consent_of(list(due_keys)):
            consent_rows[due_keys[statement.subject_key]].append(statement)
        purposes = self._purposes
        unknown_consent = consent_document([], purposes, ())

        now = utc_now()
        changes: list[ChangeRow] = []
        documents: list[ProfileRow] = []
        split_from = {new: old for old, news in split.items() for new in news}
        for pid in sorted(changed):
            piece = members_of[pid]
            old = cluster.profiles.get(pid)
            lineage: list[dict[str, Any]] = []
            if pid in merged:
                lineage.append({"event": "merge", "absorbed": merged[pid], "at": now})
                changes.append(
                    ChangeRow(
                        0,
                        "merge",
                        pid,
                        now,
                        canonical_json({"survivor": pid, "absorbed": merged[pid]}),
                    )
                )
            if pid in split:
                lineage.append({"event": "split", "into": split[pid], "at": now})
                changes.append(
                    ChangeRow(
                        0, "split", pid, now, canonical_json({"profile": pid, "into": split[pid]})
                    )
                )
            if pid in split_from and old is None:
                lineage.append({"event": "split_from", "profile": split_from[pid], "at": now})
            golden: dict[str, GoldenValue]
            if pid in full:
                golden = self._survivorship.from_facts(facts_full.get(pid, []))
            else:
                earlier = [
                    cluster.profiles[o]
                    for o in ({cluster.identifiers[k].profile_id for k in piece} - {None})
                    if o in cluster.profiles
                ]
                candidates = [c for d in earlier for c in document_candidates(d)]
                candidates.extend(fact_candidates(batch_facts.get(pid, [])))
                golden = self._survivorship.pick(candidates)
            if pid in consent_due:
                rows = consent_rows[pid]
                consent_json = consent_document(rows, purposes, piece) if rows else unknown_consent
            else:
                consent_json = old.consent if old is not None else unknown_consent
            idents = [cluster.identifiers[k] for k in piece]
            documents.append(
                build_document(
                    pid,
                    piece,
                    golden,
                    consent_json,
                    created_at=min(i.first_seen for i in idents),
                    updated_at=max(i.last_seen for i in idents),
                    lineage_json=_extended_lineage(old, lineage),
                )
            )
        tx.put_profiles(documents)
        if changes:
            tx.append_changes(changes)


def _extended_lineage(old: ProfileRow | None, events: list[dict[str, Any]]) -> str:
    """The profile's lineage (a JSON list) with the new events; the stored text as is when
    there are none, which is nearly every document an ingest rewrites."""
    if old is None:
        return canonical_json(events)
    if not events:
        return old.lineage
    earlier: list[dict[str, Any]] = json.loads(old.lineage)
    return canonical_json(earlier + events)
