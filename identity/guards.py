"""Guards against over-merging: limits on what one profile may hold.

A guard is checked on the union of two groups of identifiers before they join. Guards are
monotone (if a set breaks one, every superset does too), which is what makes the greedy
partition in ``identity.partition`` independent of the order data arrived in.

- ``type_limits``: at most N identifiers of a type in a profile (emails, phones, ...);
- ``per_source_limits``: at most N identifiers of a type per source prefix, for types
  written ``source/id`` (``customer_id``: one CRM number per CRM; ``social``: per platform);
- cannot-link pairs: two identifiers a steward said are different people.

The frequency cap (an identifier linked to too many others becomes *generic* and stops
joining) is applied before partitioning, in ``generic_identifiers``. It counts identifiers
*seen together* (co-occurrence and steward edges), not look-alike person records: a fuzzy
edge says two records describe similar people, not that an identifier is shared, and
counting it made a person's own email generic as soon as it had four namesakes or
household members in the review band (as it did to many people of bench/quality.py's
world).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GuardSettings:
    type_limits: Mapping[str, int] = field(
        default_factory=lambda: {"email": 5, "phone": 4, "device": 8, "cookie": 30}
    )
    per_source_limits: Mapping[str, int] = field(
        default_factory=lambda: {"customer_id": 1, "social": 2}
    )
    frequency_cap: int = 3
    """An identifier linked by joining edges to more than this many distinct identifiers of
    one of ``frequency_cap_types`` becomes generic."""
    frequency_cap_types: tuple[str, ...] = ("customer_id", "email", "phone", "device")


def limit_counters(keys: Iterable[str], settings: GuardSettings) -> Counter[str]:
    """The counts guards look at for a set of identifier keys: ``type`` and
    ``type/source`` for per-source limited types."""
    counts: Counter[str] = Counter()
    for key in keys:
        counts.update(key_limit_names(key, settings))
    return counts


def key_limit_names(key: str, settings: GuardSettings) -> list[str]:
    """The counts one identifier adds to (see ``limit_counters``), one each."""
    kind, _, value = key.partition(":")
    names = [kind] if kind in settings.type_limits else []
    if kind in settings.per_source_limits:
        names.append(f"{kind}/{value.partition('/')[0]}")
    return names


def broken_limit(
    counts: Counter[str], settings: GuardSettings, tolerated: Mapping[str, int] | None = None
) -> str | None:
    """The first limit the counts break, as a reason a steward can read, or None.

    ``tolerated`` holds counts already accepted over a limit (a steward joined a profile
    over it): reaching them again is no break, going past them is.
    """
    for name, count in sorted(counts.items()):
        kind, slash, source = name.partition("/")
        limit = settings.per_source_limits[kind] if slash else settings.type_limits[kind]
        allowed = max(limit, tolerated.get(name, 0)) if tolerated is not None else limit
        if count > allowed:
            where = f"{kind} from source {source!r}" if slash else kind
            return f"limit: more than {limit} {where} in one profile"
    return None


def neighbour_counts_from_edges(
    edges: Iterable[tuple[str, str]], keys: Iterable[str]
) -> dict[str, dict[str, int]]:
    """Per key, the number of distinct identifiers of each type it is linked to by the
    given edges ``(left, right)`` (the edges the frequency cap counts)."""
    return {
        key: dict(Counter(other.partition(":")[0] for other in linked))
        for key, linked in _linked(edges, keys).items()
    }


def _linked(edges: Iterable[tuple[str, str]], keys: Iterable[str]) -> dict[str, set[str]]:
    """Per key, the distinct identifiers the edges link it to."""
    wanted = set(keys)
    others: dict[str, set[str]] = {}
    for left, right in edges:
        if left in wanted:
            others.setdefault(left, set()).add(right)
        if right in wanted:
            others.setdefault(right, set()).add(left)
    return others


def generic_identifiers(
    neighbour_counts: Mapping[str, Mapping[str, int]], settings: GuardSettings
) -> dict[str, str]:
    """Identifiers over the frequency cap, with the reason: ``key -> reason``.

    ``neighbour_counts`` gives, per identifier, the number of distinct identifiers of each
    type it is linked to by joining edges.
    """
    generic: dict[str, str] = {}
    for key, by_type in neighbour_counts.items():
        for kind in settings.frequency_cap_types:
            if by_type.get(kind, 0) > settings.frequency_cap:
                generic[key] = (
                    f"generic: linked to {by_type[kind]} distinct {kind} identifiers"
                    f" (cap {settings.frequency_cap})"
                )
                break
    return generic


def frequency_cap_reasons(
    edges: Iterable[tuple[str, str]], keys: Iterable[str], settings: GuardSettings
) -> dict[str, str]:
    """``generic_identifiers(neighbour_counts_from_edges(edges, keys), settings)``, with
    types counted only for keys linked to more than ``frequency_cap`` identifiers in all:
    no other key can be over the cap for one type."""
    crowded = {
        key: dict(Counter(other.partition(":")[0] for other in linked))
        for key, linked in _linked(edges, keys).items()
        if len(linked) > settings.frequency_cap
    }
    return generic_identifiers(crowded, settings)
