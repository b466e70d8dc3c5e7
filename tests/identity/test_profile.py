"""The served profile document (``identity.profile.build_document``)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from graph.records import ConsentRow
from identity.canonical_json import canonical_json
from identity.consent import effective_consent
from identity.profile import (
    GoldenValue,
    build_document,
    consent_document,
    statements_from_rows,
)

golden_values = st.dictionaries(
    st.text(), st.builds(GoldenValue, st.text(), st.text(), st.text()), max_size=12
)


class TestBuildDocument:
    @given(golden_values)
    def test_attributes_are_the_canonical_json_of_value_source_and_time(
        self, golden: dict[str, GoldenValue]
    ) -> None:
        row = build_document("p-1", ["email:a@x.com"], golden, "{}", "t0", "t1", "[]")
        expected = {
            name: {"value": g.value, "source": g.source, "observed_at": g.observed_at}
            for name, g in golden.items()
        }
        assert row.attributes == canonical_json(expected)
        assert json.loads(row.attributes) == expected

    def test_identifiers_are_sorted(self) -> None:
        row = build_document("p-1", ["phone:+1", "email:a@x.com"], {}, "{}", "t0", "t1", "[]")
        assert json.loads(row.identifiers) == ["email:a@x.com", "phone:+1"]


statement_rows = st.lists(
    st.builds(
        ConsentRow,
        st.text(min_size=1),
        st.sampled_from(["email:a@x.com", "phone:+12125550100", "cookie:Zoë"]),
        st.sampled_from(["email", "sms", "unknown_purpose"]),
        st.sampled_from(["granted", "denied"]),
        st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]),
        st.text(),
        st.dictionaries(st.text(), st.text() | st.integers(), max_size=3).map(
            lambda proof: json.dumps(proof, sort_keys=True, ensure_ascii=False)
        ),
        st.sampled_from(["", "", "email:a@x.com", "cookie:gone", "*"]),
    ),
    max_size=6,
)
MEMBERS = ("email:a@x.com", "phone:+12125550100", "cookie:Zoë")


class TestConsentDocument:
    @given(statement_rows)
    def test_is_the_canonical_json_of_the_effective_consent(self, rows: list[ConsentRow]) -> None:
        purposes = ("email", "sms", "push")
        consent = effective_consent(statements_from_rows(rows), purposes, MEMBERS)
        expected = canonical_json({p: c.to_dict() for p, c in consent.items()})
        assert consent_document(rows, purposes, MEMBERS) == expected

    def test_without_statements_every_purpose_is_unknown(self) -> None:
        document = json.loads(consent_document([], ("email", "sms"), ()))
        assert document == {
            "email": {"statements": [], "status": "unknown"},
            "sms": {"statements": [], "status": "unknown"},
        }
