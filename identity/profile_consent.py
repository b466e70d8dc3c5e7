"""Which identifiers an observation's consent statements are recorded on.

A statement with a ``subject`` is that identifier's own. A statement without one is about
the profile the observation resolves to (see ``identity.consent`` for how own and
inherited statements count):

- a **denial** is the own statement of every identifier of the observation, whether or
  not they are joined, and reaches every other identifier of their profiles, inherited
  through the observation's identifier in that profile;
- a **grant** (or *unknown*) is the own statement of the observation's identifiers that
  are joined with its anchor (its most personal identifier, as the fuzzy matcher's
  ``anchor_key`` picks it: an email before a cookie), and reaches the anchor profile's other
  identifiers, inherited through the anchor. An identifier of the observation that is
  not joined with the anchor (an unauthenticated cookie beside an email) gets nothing:
  over-applying a permission is the unsafe side.

Statements reach the members a profile has when the observation is first ingested; the
same observation again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence

from graph.records import ConsentRow
from identity.consent import ConsentStatus
from identity.fuzzy_linking import anchor_key
from identity.observation import Observation


def consent_row(obs: Observation, subject: str, index: int, via: str = "") -> ConsentRow:
    """The row of the observation's statement ``index`` recorded on ``subject``."""
    claim = obs.consent[index]
    statement_id = hashlib.blake2b(
        f"{obs.observation_id}#{index}#{subject}".encode(), digest_size=16
    ).hexdigest()
    return ConsentRow(
        statement_id,
        subject,
        claim.purpose,
        claim.status.value,
        claim.at,
        obs.source,
        claim.proof,
        via,
    )


def profile_statement_rows(
    claims: Sequence[tuple[Observation, int]],
    owner: Mapping[str, str],
    recorded: Collection[str],
) -> list[ConsentRow]:
    """The rows of statements without a subject (``claims``: observation and index),
    given each identifier's profile after resolution (``owner``); a claim whose anchor row
    is among the ``recorded`` statement IDs was ingested before and adds nothing."""
    members: dict[str, list[str]] = {}
    for key, pid in sorted(owner.items()):
        members.setdefault(pid, []).append(key)
    rows: list[ConsentRow] = []
    for obs, index in claims:
        anchor = anchor_key(obs)
        if consent_row(obs, anchor, index).statement_id in recorded:
            continue
        named = [i.key for i in obs.identifiers]
        if obs.consent[index].status is ConsentStatus.DENIED:
            own, carriers = named, named
        else:
            own, carriers = [k for k in named if owner[k] == owner[anchor]], [anchor]
        rows.extend(consent_row(obs, key, index) for key in own)
        taken = set(named)
        for via in carriers:
            for key in members[owner[via]]:
                if key not in taken:
                    taken.add(key)
                    rows.append(consent_row(obs, key, index, via))
    return rows
