"""``idgraph check``: verify the invariants of a store, read-only.

1. every identifier belongs to a live profile, and every profile document lists exactly
   the identifiers that belong to it;
2. profiles equal the guarded partition of their clusters (recomputed from the edges),
   and generic marks match the frequency cap;
3. aliases point to live profiles;
4. no edge has an end that is not a stored identifier;
5. golden attributes and consent in each document equal a fresh derivation from the
   stored facts and statements.

Each violation is reported as one readable line; the check pages through the store so
memory stays bounded by the largest cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from operator import methodcaller

from graph.store import GraphStore, GraphTransaction
from identity.edge_status import LINKING_STATUSES, STATUS_APPROVED, STATUS_REJECTED
from identity.partition import CandidateEdge, partition_cluster
from identity.profile import build_document, consent_document
from identity.resolver import Resolver
from identity.settings import Settings

PAGE = 500


@dataclass(slots=True)
class CheckReport:
    checked: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class InvariantCheck:
    def __init__(self, store: GraphStore, resolver: Resolver, settings: Settings) -> None:
        self._store = store
        self._resolver = resolver
        self._settings = settings

    def run(self, max_violations: int = 100) -> CheckReport:
        report = CheckReport()
        for name, step in (
            ("identifiers", self._identifiers),
            ("profiles", self._profiles),
            ("aliases", self._aliases),
            ("edges", self._edges),
        ):
            count = 0
            for problem in step(report):
                if problem is None:
                    count += 1
                    continue
                report.violations.append(problem)
                if len(report.violations) >= max_violations:
                    report.violations.append(f"stopped after {max_violations} violations")
                    report.checked[name] = count
                    return report
            report.checked[name] = count
        return report

    def _identifiers(self, report: CheckReport) -> Iterator[str | None]:
        after: str | None = None
        while True:
            page = self._store.read(methodcaller("identifier_page", after, PAGE))
            owners = {i.profile_id for i in page if i.profile_id}
            docs = self._store.read(methodcaller("get_profiles", owners))
            for ident in page:
                if ident.profile_id is None:
                    yield f"identifier {ident.key} belongs to no profile"
                elif ident.profile_id not in docs:
                    yield f"identifier {ident.key} belongs to missing profile {ident.profile_id}"
                elif ident.key not in json.loads(docs[ident.profile_id].identifiers):
                    yield (
                        f"identifier {ident.key} belongs to {ident.profile_id} but its"
                        " document does not list it"
                    )
                else:
                    yield None
            if len(page) < PAGE:
                return
            after = page[-1].key

    def _profiles(self, report: CheckReport) -> Iterator[str | None]:
        after: str | None = None
        seen: set[str] = set()
        while True:
            page = self._store.read(methodcaller("profile_page", after, PAGE))
            for row in page:
                if row.id in seen:
                    yield None
                    continue
                problems = self._store.read(partial(self._check_cluster, profile_id=row.id))
                seen.update(problems[0])
                if problems[1]:
                    yield from problems[1]
                else:
                    yield None
            if len(page) < PAGE:
                return
            after = page[-1].id

    def _check_cluster(self, tx: GraphTransaction, profile_id: str) -> tuple[set[str], list[str]]:
        row = tx.get_profiles((profile_id,))[profile_id]
        members = json.loads(row.identifiers)
        cluster = self._resolver.gather(tx, members)
        problems: list[str] = []
        stored = tx.identifiers_of(set(cluster.profiles))
        for pid, doc in cluster.profiles.items():
            listed = json.loads(doc.identifiers)
            actual = [i.key for i in stored.get(pid, [])]
            if listed != actual:
                problems.append(
                    f"profile {pid} lists {len(listed)} identifiers, {len(actual)} belong to it"
                )
        wanted_generic = self._resolver.generic_reasons(tx, cluster.keys)
        for key in sorted(cluster.keys):
            marked = bool(cluster.identifiers[key].generic)
            if marked != (key in wanted_generic):
                problems.append(
                    f"identifier {key} is {'' if marked else 'not '}marked generic,"
                    f" the frequency cap says {'not ' if marked else ''}generic"
                )
        eligible = [
            CandidateEdge(e.slot, e.weight, forced=e.status == STATUS_APPROVED)
            for e in cluster.edges.values()
            if e.left in cluster.keys
            and e.right in cluster.keys
            and (
                e.status == STATUS_APPROVED
                or (
                    e.status in LINKING_STATUSES
                    and self._resolver.joins(e)
                    and e.left not in cluster.generic
                    and e.right not in cluster.generic
                )
            )
        ]
        cannot = [(e.left, e.right) for e in cluster.edges.values() if e.status == STATUS_REJECTED]
        partition = partition_cluster(cluster.keys, eligible, cannot, self._settings.guards)
        for piece in partition.pieces:
            owners = {cluster.identifiers[k].profile_id for k in piece}
            if len(owners) != 1:
                problems.append(
                    f"identifiers {', '.join(piece[:3])}... resolve to one profile"
                    f" but belong to {len(owners)}: {sorted(map(str, owners))}"
                )
        if len(partition.pieces) != len(cluster.profiles):
            problems.append(
                f"cluster of {profile_id} resolves to {len(partition.pieces)}"
                f" profiles, the store has {len(cluster.profiles)}"
            )
        for pid, doc in cluster.profiles.items():
            keys = [i.key for i in stored.get(pid, [])]
            if not keys:
                continue
            golden = self._resolver.survivorship.from_facts(tx.facts_of(keys))
            consent = consent_document(tx.consent_of(keys), self._settings.purposes, keys)
            fresh = build_document(pid, keys, golden, consent, doc.created_at, doc.updated_at, "[]")
            if fresh.attributes != doc.attributes:
                problems.append(f"profile {pid}: golden attributes are stale")
            if fresh.consent != doc.consent:
                problems.append(f"profile {pid}: consent derivation is stale")
        return set(cluster.profiles), problems

    def _aliases(self, report: CheckReport) -> Iterator[str | None]:
        after: str | None = None
        while True:
            page = self._store.read(methodcaller("alias_page", after, PAGE))
            targets = {target for _, target in page}
            live = self._store.read(methodcaller("get_profiles", targets))
            for alias, target in page:
                yield None if target in live else f"alias {alias} points to missing {target}"
            if len(page) < PAGE:
                return
            after = page[-1][0]

    def _edges(self, report: CheckReport) -> Iterator[str | None]:
        after: tuple[str, str, str, str] | None = None
        while True:
            page = self._store.read(methodcaller("edge_page", after, PAGE))
            ends = {k for e in page for k in (e.left, e.right)}
            known = self._store.read(methodcaller("get_identifiers", ends))
            for edge in page:
                missing = [k for k in (edge.left, edge.right) if k not in known]
                yield (
                    (
                        f"edge {edge.left} -- {edge.right} ({edge.rule}) has a missing end"
                        f" {missing[0]}"
                    )
                    if missing
                    else None
                )
            if len(page) < PAGE:
                return
            after = page[-1].slot
