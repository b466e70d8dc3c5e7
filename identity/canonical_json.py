"""The one JSON form of stored documents and evidence: compact, keys sorted, UTF-8 as is,
so the same value is always the same text (documents compare and hash by text)."""

from __future__ import annotations

import json

# One encoder for every call: ``json.dumps`` with options builds a new one each time,
# which is a measurable share of writing tens of thousands of documents in a load.
canonical_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode
