"""``idgraph fit-model``: estimate the fuzzy matcher's m/u probabilities from data.

The model is fitted from the person attributes of an NDJSON observation file alone
(expectation maximisation over blocked pairs, u from random pairs, term frequencies of
names), never from any truth, and written as JSON for the ``fuzzy_model`` setting. Lines
that do not parse are skipped here; ``idgraph load`` is what reports them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from identity.errors import ObservationRejected
from identity.fuzzy_linking import anchor_key
from identity.service import IdentityService
from identity.settings import Settings
from matchers.attributes import PersonRecord
from matchers.blocking import default_rules
from matchers.fellegi_sunter import estimate_model, model_summary


def fit_model(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"idgraph fit-model: no such file: {path}", file=sys.stderr)
        return 2
    records: dict[tuple[str, str], PersonRecord] = {}
    with path.open("rb") as lines:
        for raw in lines:
            try:
                observation = service.parse(json.loads(raw)).observation
            except (ValueError, ObservationRejected):
                continue
            if observation.attributes:
                record = PersonRecord(anchor_key(observation), observation.attributes)
                records[(record.key, json.dumps(sorted(record.normalized.items())))] = record
    if len(records) < 2:
        print(f"idgraph fit-model: fewer than 2 person records in {path}", file=sys.stderr)
        return 1
    estimate = estimate_model(list(records.values()), rules=default_rules(), seed=args.seed)
    args.out.write_text(json.dumps(estimate.model.to_dict(), indent=1, sort_keys=True) + "\n")
    print(json.dumps(model_summary(estimate.model), sort_keys=True))
    print(
        f"fitted on {len(records):,} person records, {estimate.blocked_pairs:,} blocked pairs,"
        f" about {estimate.expected_matches:,.0f} matches expected; model in {args.out}"
    )
    return 0
