"""Which profile ID each piece of a re-resolved cluster gets.

Rules (written down in docs/resolution.md):

- every old profile *claims* the piece holding most of its identifiers (ties: the piece
  whose first key is smallest), so on a split the biggest piece keeps the ID;
- a piece claimed by several old profiles is a merge: the oldest claimant (earliest
  ``created_at``, then smallest ID) survives, the others become its aliases;
- a piece nobody claims gets a new ID (founded by its smallest key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class IdPlan:
    ids: list[str]
    """The profile ID of each piece, in the order of the pieces."""
    merged: dict[str, list[str]] = field(default_factory=dict)
    """Survivor -> old profiles absorbed into it."""
    split: dict[str, list[str]] = field(default_factory=dict)
    """Old profile -> IDs of the other pieces its identifiers went to."""
    created: list[str] = field(default_factory=list)


def assign_profile_ids(
    pieces: Sequence[Sequence[str]],
    current: Mapping[str, str | None],
    created_at: Mapping[str, str],
    new_ids: Callable[[list[str]], Mapping[str, str]],
) -> IdPlan:
    """``pieces`` are sorted groups of keys; ``current`` maps keys to their profile before;
    ``created_at`` gives each old profile's creation time; ``new_ids`` turns the founding
    (smallest) keys of unclaimed pieces into fresh IDs in one call."""
    shares: dict[str, Counter[int]] = {}
    for index, piece in enumerate(pieces):
        for key in piece:
            old = current.get(key)
            if old is not None:
                shares.setdefault(old, Counter())[index] += 1
    claimants: dict[int, list[str]] = {}
    for old, counter in shares.items():
        best = min(counter, key=lambda i: (-counter[i], pieces[i][0]))
        claimants.setdefault(best, []).append(old)

    ids: list[str | None] = [None] * len(pieces)
    plan = IdPlan(ids=[])
    for index, olds in claimants.items():
        survivor = min(olds, key=lambda p: (created_at.get(p, ""), p))
        ids[index] = survivor
        absorbed = sorted(p for p in olds if p != survivor)
        if absorbed:
            plan.merged[survivor] = absorbed
    unclaimed = [pieces[i][0] for i, pid in enumerate(ids) if pid is None]
    fresh = new_ids(unclaimed) if unclaimed else {}
    for index, pid in enumerate(ids):
        if pid is None:
            ids[index] = fresh[pieces[index][0]]
            plan.created.append(fresh[pieces[index][0]])
    plan.ids = [pid for pid in ids if pid is not None]
    for old, counter in shares.items():
        if len(counter) > 1:
            kept = ids[min(counter, key=lambda i: (-counter[i], pieces[i][0]))]
            others = sorted({plan.ids[i] for i in counter} - {kept})
            if others:
                plan.split[old] = others
    return plan
