"""A cluster and what resolving it decided: the values the resolver passes on.

``Cluster`` is what the resolver read for a change (``Resolver.gather``): the seeds, the
identifiers of their profiles and everything reachable from them over edges that can
join. ``Resolution`` is what re-partitioning it decided: the pieces, their profile IDs,
merges, splits and new profiles, and which documents to rewrite. The document writer
(``identity.documents``) takes a ``Resolution`` and writes documents, lineage and the
change feed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.records import EdgeRow, ProfileRow, StoredIdentifier


@dataclass(slots=True)
class Cluster:
    keys: set[str]
    identifiers: dict[str, StoredIdentifier]
    edges: dict[tuple[str, str, str, str], EdgeRow]
    profiles: dict[str, ProfileRow]
    generic: set[str]
    members: dict[str, list[str]] = field(default_factory=dict)
    """The identifier keys of each profile in ``profiles`` (its document, parsed once)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What re-resolving a cluster decided."""

    cluster: Cluster
    """The cluster as read before anything was written."""
    pieces: list[list[str]]
    """The partition: groups of identifier keys, each sorted, sorted by their first key."""
    ids: list[str]
    """The profile ID of each piece, in the order of the pieces."""
    owner: dict[str, str]
    """Identifier key -> the profile ID of its piece."""
    changed: set[str]
    """The profiles whose documents are rewritten: new, holding a seed, or holding other
    identifiers than before."""
    merged: dict[str, list[str]]
    """Survivor -> the old profiles absorbed into it."""
    absorbed: dict[str, str]
    """Old profile -> the survivor it is now an alias of (``merged`` turned around)."""
    split: dict[str, list[str]]
    """Old profile -> the IDs of the other pieces its identifiers went to."""
    created: list[str]
    """The new profile IDs."""
