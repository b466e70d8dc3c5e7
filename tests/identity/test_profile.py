"""The served profile document (``identity.profile.build_document``)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from identity.canonical_json import canonical_json
from identity.profile import GoldenValue, build_document

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
