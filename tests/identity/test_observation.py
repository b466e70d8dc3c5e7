"""The observation parser: what a good observation becomes, and every kind of bad input a
real export carries, refused part by part or rejected whole with field, value and rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from identity.consent import ConsentStatus
from identity.errors import ObservationRejected, Refusal
from identity.identifiers import Identifier
from identity.observation import ConsentClaim, ObservationParser, ParsedObservation
from identity.settings import Settings


@pytest.fixture(scope="module")
def parser() -> ObservationParser:
    return ObservationParser(Settings())


def observation(**changes: Any) -> dict[str, Any]:
    """A good observation; a change to ``...`` drops the field."""
    data: dict[str, Any] = {
        "source": "crm",
        "observed_at": "2026-01-02T03:04:05Z",
        "authenticated": True,
        "identifiers": [
            {"type": "email", "value": " Jane.Doe@Example.com "},
            {"type": "phone", "value": "(212) 555-0100"},
        ],
    }
    for name, value in changes.items():
        if value is ...:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def rejection(parser: ObservationParser, data: object) -> list[tuple[str, object, str]]:
    with pytest.raises(ObservationRejected) as caught:
        parser.parse(data)
    return [(r.field, r.value, r.rule) for r in caught.value.refusals]


def refused(parsed: ParsedObservation) -> list[tuple[str, object, str]]:
    return [(r.field, r.value, r.rule) for r in parsed.refusals]


EMAIL = Identifier("email", "jane.doe@example.com")
PHONE = Identifier("phone", "+12125550100")


class TestParseGoodObservation:
    def test_every_part_is_normalized(self, parser: ObservationParser) -> None:
        parsed = parser.parse(
            observation(
                source=" CRM ",
                observed_at="2026-01-02T05:04:05+02:00",
                attributes={"first_name": "  Jane  ", "country": "us", "postcode": 10001},
                consent=[
                    {
                        "purpose": "email",
                        "status": "granted",
                        "subject": {"type": "email", "value": "JANE.DOE@example.com"},
                        "proof": {"form": "signup", "version": 3},
                    },
                    {"purpose": "sms", "status": "denied", "at": "2026-01-01T00:00:00Z"},
                ],
            )
        )
        obs = parsed.observation
        assert parsed.refusals == ()
        assert obs.source == "crm"
        assert obs.observed_at == "2026-01-02T03:04:05Z"
        assert obs.authenticated is True
        assert obs.identifiers == (EMAIL, PHONE)
        assert dict(obs.attributes) == {"first_name": "Jane", "country": "US", "postcode": "10001"}
        assert obs.consent == (
            ConsentClaim(
                "email:jane.doe@example.com",
                "email",
                ConsentStatus.GRANTED,
                "2026-01-02T03:04:05Z",
                '{"form": "signup", "version": 3}',
            ),
            ConsentClaim(None, "sms", ConsentStatus.DENIED, "2026-01-01T00:00:00Z", "{}"),
        )

    def test_authenticated_defaults_to_false(self, parser: ObservationParser) -> None:
        assert parser.parse(observation(authenticated=...)).observation.authenticated is False

    def test_identifiers_are_sorted_and_deduplicated(self, parser: ObservationParser) -> None:
        parsed = parser.parse(
            observation(
                identifiers=[
                    {"type": "phone", "value": "212-555-0100"},
                    {"type": "email", "value": "jane.doe@example.com"},
                    {"type": "email", "value": "JANE.DOE@EXAMPLE.COM"},
                ]
            )
        )
        assert parsed.observation.identifiers == (EMAIL, PHONE)

    def test_a_time_without_an_offset_is_taken_as_utc(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(observed_at="2026-01-02T03:04:05"))
        assert parsed.observation.observed_at == "2026-01-02T03:04:05Z"

    def test_fractions_of_a_second_are_dropped(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(observed_at="2026-01-02T03:04:05.987654Z"))
        assert parsed.observation.observed_at == "2026-01-02T03:04:05Z"

    def test_a_time_up_to_a_day_ahead_is_accepted_for_clock_skew(
        self, parser: ObservationParser
    ) -> None:
        soon = datetime.now(UTC) + timedelta(hours=2)
        parsed = parser.parse(observation(observed_at=soon.isoformat()))
        assert parsed.observation.observed_at == soon.strftime("%Y-%m-%dT%H:%M:%SZ")

    def test_the_earliest_time_is_the_first_second_of_1900(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(observed_at="1900-01-01T01:00:00+01:00"))
        assert parsed.observation.observed_at == "1900-01-01T00:00:00Z"


class TestParseRejectsTheWholeObservation:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            pytest.param(
                ["not", "an", "object"],
                [("observation", "list", "observation.object")],
                id="a JSON array instead of an object",
            ),
            pytest.param(
                "jane@example.com",
                [("observation", "str", "observation.object")],
                id="a bare string",
            ),
            pytest.param(
                observation(identifiers=...),
                [("identifiers", None, "identifiers.required")],
                id="identifiers are missing",
            ),
            pytest.param(
                observation(identifiers={"type": "email", "value": "jane@example.com"}),
                [("identifiers", "dict", "identifiers.list")],
                id="identifiers are an object, not a list",
            ),
            pytest.param(
                observation(identifiers="jane@example.com"),
                [("identifiers", "str", "identifiers.list")],
                id="identifiers are a string",
            ),
            pytest.param(
                observation(identifiers=[]),
                [("identifiers", 0, "identifiers.one_valid")],
                id="identifiers are an empty list",
            ),
            pytest.param(
                observation(identifiers=[{"type": "cookie", "value": f"c{n}"} for n in range(21)]),
                [("identifiers", 21, "identifiers.max_items")],
                id="more identifiers than one observation may carry",
            ),
            pytest.param(
                observation(source=...),
                [("source", None, "source.required")],
                id="the source is missing",
            ),
            pytest.param(
                observation(source=""),
                [("source", "", "source.format")],
                id="the source is empty",
            ),
            pytest.param(
                observation(source="web shop"),
                [("source", "web shop", "source.format")],
                id="the source has a space",
            ),
            pytest.param(
                observation(source=42),
                [("source", 42, "source.format")],
                id="the source is a number",
            ),
            pytest.param(
                observation(observed_at=...),
                [("observed_at", None, "observed_at.required")],
                id="the time is missing",
            ),
            pytest.param(
                observation(observed_at="last tuesday"),
                [("observed_at", "last tuesday", "observed_at.iso8601")],
                id="the time is garbage",
            ),
            pytest.param(
                observation(observed_at="0000-00-00 00:00:00"),
                [("observed_at", "0000-00-00 00:00:00", "observed_at.iso8601")],
                id="the time is a database's zero date",
            ),
            pytest.param(
                observation(observed_at=1767323045),
                [("observed_at", 1767323045, "observed_at.iso8601")],
                id="the time is a unix timestamp number",
            ),
            pytest.param(
                observation(observed_at="2999-01-01T00:00:00Z"),
                [("observed_at", "2999-01-01T00:00:00Z", "observed_at.not_future")],
                id="the time lies in the future",
            ),
            pytest.param(
                observation(observed_at="1899-12-31T23:59:59Z"),
                [("observed_at", "1899-12-31T23:59:59Z", "observed_at.range")],
                id="the time lies before 1900",
            ),
            pytest.param(
                observation(observed_at="0001-01-01T00:00:00Z"),
                [("observed_at", "0001-01-01T00:00:00Z", "observed_at.range")],
                id="the time is year 1",
            ),
            pytest.param(
                observation(observed_at="0001-01-01T00:00:00+14:00"),
                [("observed_at", "0001-01-01T00:00:00+14:00", "observed_at.range")],
                id="the offset moves the time before year 1",
            ),
            pytest.param(
                observation(observed_at="9999-12-31T23:59:59-14:00"),
                [("observed_at", "9999-12-31T23:59:59-14:00", "observed_at.range")],
                id="the offset moves the time past year 9999",
            ),
            pytest.param(
                observation(consent=[{"purpose": "email", "status": "denied"}] * 51),
                [("consent", 51, "consent.max_items")],
                id="more consent statements than one observation may carry",
            ),
            pytest.param(
                observation(attributes={f"a{n}": "x" for n in range(65)}),
                [("attributes", 65, "attributes.max_items")],
                id="more attributes than one observation may carry",
            ),
            pytest.param(
                observation(authenticated="true"),
                [("authenticated", "true", "authenticated.boolean")],
                id="authenticated is the string true",
            ),
            pytest.param(
                observation(authenticated=1),
                [("authenticated", 1, "authenticated.boolean")],
                id="authenticated is the number 1",
            ),
            pytest.param(
                observation(authenticated=None),
                [("authenticated", None, "authenticated.boolean")],
                id="authenticated is null",
            ),
        ],
    )
    def test_rejected(
        self,
        parser: ObservationParser,
        data: object,
        expected: list[tuple[str, object, str]],
    ) -> None:
        assert rejection(parser, data) == expected

    def test_future_means_more_than_a_day_ahead(self, parser: ObservationParser) -> None:
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        assert rejection(parser, observation(observed_at=later)) == [
            ("observed_at", later, "observed_at.not_future")
        ]

    def test_all_identifiers_invalid_names_each_of_them(self, parser: ObservationParser) -> None:
        data = observation(
            identifiers=[
                {"type": "email", "value": "test@test.com"},
                {"type": "phone", "value": "555-555-5555"},
                {"type": "fax", "value": "2125550100"},
                {"type": "cookie"},
                "jane@example.com",
            ]
        )
        assert rejection(parser, data) == [
            ("identifiers", 5, "identifiers.one_valid"),
            ("identifiers[0].value", "test@test.com", "blocked_value"),
            ("identifiers[1].value", "555-555-5555", "phone.valid"),
            ("identifiers[2].type", "fax", "identifier.known_type"),
            ("identifiers[3]", {"type": "cookie"}, "identifier.shape"),
            ("identifiers[4]", "jane@example.com", "identifier.shape"),
        ]

    def test_the_first_refusal_says_why_nothing_is_left(self, parser: ObservationParser) -> None:
        with pytest.raises(ObservationRejected) as caught:
            parser.parse(observation(identifiers=[{"type": "email", "value": "nope"}]))
        assert caught.value.first.message.startswith("no valid identifier left")
        assert "identifiers[0].value='nope'" in caught.value.first.message


class TestParseRefusesPartsIndividually:
    def test_one_invalid_identifier_is_refused_and_the_rest_kept(
        self, parser: ObservationParser
    ) -> None:
        parsed = parser.parse(
            observation(
                identifiers=[
                    {"type": "email", "value": "jane.doe@example.com"},
                    {"type": "email", "value": "jane.doe@"},
                    {"type": "device", "value": "00000000-0000-0000-0000-000000000000"},
                ]
            )
        )
        assert parsed.observation.identifiers == (EMAIL,)
        assert refused(parsed) == [
            ("identifiers[1].value", "jane.doe@", "email.syntax"),
            (
                "identifiers[2].value",
                "00000000-0000-0000-0000-000000000000",
                "device.zero_ad_id",
            ),
        ]

    def test_bad_attributes_are_refused_one_by_one(self, parser: ObservationParser) -> None:
        parsed = parser.parse(
            observation(
                attributes={
                    "first_name": "Jane",
                    "date_of_birth": "00/00/0000",
                    "country": "USA",
                    "Last Name": "Doe",
                    "gender": ["f"],
                    "city": True,
                    "postcode": "x" * 300,
                    "middle_name": "",
                    "region": None,
                }
            )
        )
        assert dict(parsed.observation.attributes) == {"first_name": "Jane"}
        assert refused(parsed) == [
            ("attributes.date_of_birth", "00/00/0000", "attributes.date_of_birth.format"),
            ("attributes.country", "USA", "attributes.country.iso3166"),
            ("attributes.Last Name", "Last Name", "attributes.name"),
            ("attributes.gender", ["f"], "attributes.scalar"),
            ("attributes.city", True, "attributes.scalar"),
            ("attributes.postcode", "x" * 64, "attributes.text"),
        ]

    @pytest.mark.parametrize(
        ("born", "rule"),
        [
            pytest.param("1980-02-30", "attributes.date_of_birth.calendar", id="no such day"),
            pytest.param("31/12/1980", "attributes.date_of_birth.format", id="day first"),
            pytest.param("1899-12-31", "attributes.date_of_birth.range", id="before 1900"),
            pytest.param("2999-01-01", "attributes.date_of_birth.range", id="in the future"),
        ],
    )
    def test_date_of_birth_is_checked(
        self, parser: ObservationParser, born: str, rule: str
    ) -> None:
        parsed = parser.parse(observation(attributes={"date_of_birth": born}))
        assert dict(parsed.observation.attributes) == {}
        assert refused(parsed) == [("attributes.date_of_birth", born, rule)]

    @pytest.mark.parametrize(
        ("value", "shown", "rule"),
        [
            pytest.param(float("nan"), "nan", "attributes.finite", id="NaN"),
            pytest.param(float("inf"), "inf", "attributes.finite", id="infinity"),
            pytest.param(float("-inf"), "-inf", "attributes.finite", id="minus infinity"),
            pytest.param(
                10**5000, "an integer of 16,610 bits", "attributes.text", id="a 5,001-digit integer"
            ),
            pytest.param("Ann\x1b[2J", "Ann\x1b[2J", "attributes.text", id="a terminal escape"),
            pytest.param("Ann\x00", "Ann\x00", "attributes.text", id="a NUL"),
            pytest.param("Ann\x9b2J", "Ann\x9b2J", "attributes.text", id="a C1 control"),
        ],
    )
    def test_numbers_must_be_finite_and_text_free_of_controls(
        self, parser: ObservationParser, value: object, shown: object, rule: str
    ) -> None:
        parsed = parser.parse(observation(attributes={"first_name": value, "city": "Boston"}))
        assert dict(parsed.observation.attributes) == {"city": "Boston"}
        assert refused(parsed) == [("attributes.first_name", shown, rule)]

    def test_attribute_whitespace_is_collapsed(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(attributes={"address": "  1  Main\tSt \n"}))
        assert dict(parsed.observation.attributes) == {"address": "1 Main St"}

    def test_attributes_that_are_not_an_object_are_refused(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(attributes=["Jane"]))
        assert dict(parsed.observation.attributes) == {}
        assert refused(parsed) == [("attributes", "list", "attributes.object")]

    def test_bad_consent_statements_are_refused_one_by_one(self, parser: ObservationParser) -> None:
        parsed = parser.parse(
            observation(
                consent=[
                    {"purpose": "fax", "status": "granted"},
                    {"purpose": "email", "status": "yes"},
                    {"purpose": "email", "status": "granted", "at": "soon"},
                    {"purpose": "email", "status": "denied", "at": "2099-01-01T00:00:00Z"},
                    {"purpose": "email", "status": "granted", "proof": "signed"},
                    "granted",
                    {"purpose": "email", "status": "granted", "subject": "jane@example.com"},
                    {
                        "purpose": "email",
                        "status": "granted",
                        "subject": {"type": "email", "value": "not-an-email"},
                    },
                    {"purpose": "sms", "status": "denied"},
                ]
            )
        )
        assert parsed.observation.consent == (
            ConsentClaim(None, "sms", ConsentStatus.DENIED, "2026-01-02T03:04:05Z", "{}"),
        )
        assert refused(parsed) == [
            ("consent[0].purpose", "fax", "consent.purpose"),
            ("consent[1].status", "yes", "consent.status"),
            ("consent[2].at", "soon", "consent.at"),
            ("consent[3].at", "2099-01-01T00:00:00Z", "consent.at.not_future"),
            ("consent[4].proof", "signed", "consent.proof"),
            ("consent[5]", "granted", "consent.object"),
            ("consent[6].subject", "jane@example.com", "consent.subject"),
            ("consent[7].subject.value", "not-an-email", "email.syntax"),
        ]

    @pytest.mark.parametrize(
        ("statement", "expected"),
        [
            pytest.param(
                {"at": "1899-12-31T23:59:59Z"},
                ("consent[0].at", "1899-12-31T23:59:59Z", "consent.at_range"),
                id="a time before 1900",
            ),
            pytest.param(
                {"at": "0001-01-01T00:00:00+14:00"},
                ("consent[0].at", "0001-01-01T00:00:00+14:00", "consent.at_range"),
                id="a time the offset moves out of the calendar",
            ),
            pytest.param(
                {"at": 1767323045},
                ("consent[0].at", 1767323045, "consent.at"),
                id="a time as a number",
            ),
            pytest.param(
                {"proof": {"scan": "x" * 5000}},
                ("consent[0].proof", "5,012 bytes", "consent.proof_size"),
                id="a proof over 4 KiB",
            ),
            pytest.param(
                {"proof": {"version": float("nan")}},
                ("consent[0].proof", "dict of 1", "consent.proof"),
                id="a proof holding NaN",
            ),
            pytest.param(
                {"purpose": ["email"]},
                ("consent[0].purpose", ["email"], "consent.purpose"),
                id="a purpose that is a list",
            ),
        ],
    )
    def test_times_proofs_and_purposes_are_checked(
        self,
        parser: ObservationParser,
        statement: dict[str, Any],
        expected: tuple[str, object, str],
    ) -> None:
        parsed = parser.parse(
            observation(consent=[{"purpose": "email", "status": "denied", **statement}])
        )
        assert parsed.observation.consent == ()
        assert refused(parsed) == [expected]

    def test_a_proof_up_to_the_limit_is_kept(self) -> None:
        small = ObservationParser(Settings(max_proof_bytes=20))
        parsed = small.parse(
            observation(consent=[{"purpose": "email", "status": "denied", "proof": {"f": "1234"}}])
        )
        assert [c.proof for c in parsed.observation.consent] == ['{"f": "1234"}']

    def test_the_statement_limit_is_a_setting(self) -> None:
        few = ObservationParser(Settings(max_consent_per_observation=2))
        statements = [{"purpose": "email", "status": "denied"}] * 3
        assert rejection(few, observation(consent=statements)) == [
            ("consent", 3, "consent.max_items")
        ]
        assert len(few.parse(observation(consent=statements[:2])).observation.consent) == 2

    def test_a_consent_subject_must_be_one_of_the_identifiers(
        self, parser: ObservationParser
    ) -> None:
        parsed = parser.parse(
            observation(
                consent=[
                    {
                        "purpose": "email",
                        "status": "denied",
                        "subject": {"type": "email", "value": "someone.else@example.com"},
                    }
                ]
            )
        )
        assert parsed.observation.consent == ()
        assert refused(parsed) == [
            ("consent[0].subject", "email:someone.else@example.com", "consent.subject_observed")
        ]

    def test_consent_purposes_come_from_settings(self) -> None:
        custom = ObservationParser(Settings(purposes=("email", "postal_mail")))
        parsed = custom.parse(
            observation(
                consent=[
                    {"purpose": "postal_mail", "status": "granted"},
                    {"purpose": "sms", "status": "granted"},
                ]
            )
        )
        assert [c.purpose for c in parsed.observation.consent] == ["postal_mail"]
        assert refused(parsed) == [("consent[1].purpose", "sms", "consent.purpose")]

    def test_consent_that_is_not_a_list_is_refused(self, parser: ObservationParser) -> None:
        parsed = parser.parse(observation(consent={"purpose": "email", "status": "granted"}))
        assert parsed.observation.consent == ()
        assert refused(parsed) == [("consent", "dict", "consent.list")]

    def test_every_refusal_carries_a_message(self, parser: ObservationParser) -> None:
        parsed = parser.parse(
            observation(
                identifiers=[
                    {"type": "email", "value": "jane.doe@example.com"},
                    {"type": "phone", "value": "12"},
                ],
                attributes={"date_of_birth": "00/00/0000"},
                consent=[{"purpose": "fax", "status": "granted"}],
            )
        )
        assert len(parsed.refusals) == 3
        assert all(isinstance(r, Refusal) and r.message for r in parsed.refusals)


class TestParseFlagsLookalikes:
    def test_a_look_alike_identifier_is_kept_with_a_warning(
        self, parser: ObservationParser
    ) -> None:
        parsed = parser.parse(
            observation(
                identifiers=[
                    {"type": "email", "value": "ann@example.com"},
                    {"type": "email", "value": "P\u0430ypal@Example.com"},
                ]
            )
        )
        assert parsed.refusals == ()
        assert [i.value for i in parsed.observation.identifiers] == [
            "ann@example.com",
            "p\u0430ypal@example.com",
        ]
        assert [(w.field, w.value, w.rule) for w in parsed.warnings] == [
            ("identifiers[1].value", "p\u0430ypal@example.com", "identifier.mixed_script")
        ]

    def test_plain_identifiers_carry_no_warning(self, parser: ObservationParser) -> None:
        assert parser.parse(observation()).warnings == ()


class TestObservationId:
    def test_is_the_same_for_the_same_content(self, parser: ObservationParser) -> None:
        first = parser.parse(observation(attributes={"first_name": "Jane", "city": "Boston"}))
        again = parser.parse(observation(attributes={"first_name": "Jane", "city": "Boston"}))
        assert first.observation.observation_id == again.observation.observation_id

    def test_does_not_depend_on_spelling_or_order(self, parser: ObservationParser) -> None:
        first = parser.parse(observation(attributes={"first_name": "Jane", "city": "Boston"}))
        respelled = parser.parse(
            observation(
                source="CRM",
                observed_at="2026-01-02T04:04:05+01:00",
                identifiers=[
                    {"type": "phone", "value": "+1 212 555 0100"},
                    {"type": "email", "value": "JANE.DOE@EXAMPLE.COM"},
                ],
                attributes={"city": "Boston", "first_name": " Jane "},
            )
        )
        assert first.observation.observation_id == respelled.observation.observation_id

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"source": "web"}, id="another source"),
            pytest.param({"observed_at": "2026-01-02T03:04:06Z"}, id="another second"),
            pytest.param({"authenticated": False}, id="not authenticated"),
            pytest.param(
                {"identifiers": [{"type": "email", "value": "jane.doe@example.com"}]},
                id="fewer identifiers",
            ),
            pytest.param({"attributes": {"first_name": "Jan"}}, id="another attribute value"),
            pytest.param(
                {"consent": [{"purpose": "email", "status": "denied"}]}, id="a consent statement"
            ),
        ],
    )
    def test_differs_for_different_content(
        self, parser: ObservationParser, changes: dict[str, Any]
    ) -> None:
        base = parser.parse(observation(attributes={"first_name": "Jane"}))
        changed = parser.parse(observation(**{"attributes": {"first_name": "Jane"}, **changes}))
        assert base.observation.observation_id != changed.observation.observation_id

    def test_is_the_id_earlier_versions_stored(self, parser: ObservationParser) -> None:
        # Stores hold these IDs: a re-load must find the same ones (idempotent ingest).
        data = observation(
            attributes={"first_name": "Zoë", "city": "Zürich"},
            consent=[{"purpose": "email", "status": "granted"}],
        )
        assert parser.parse(data).observation.observation_id == "4f98817671e9736849afd51961e8aae2"

    def test_is_a_hex_digest(self, parser: ObservationParser) -> None:
        obs_id = parser.parse(observation()).observation.observation_id
        assert len(obs_id) == 32
        assert int(obs_id, 16) >= 0


KR_MOBILE = Identifier("phone", "+821012345678")


class TestPhoneRegion:
    """The country of a local phone number: the observation's ``country``, else the
    source's ``phone_regions`` setting, else ``default_region``."""

    @staticmethod
    def phones(parser: ObservationParser, raw: str, **changes: Any) -> tuple[Identifier, ...]:
        parsed = parser.parse(observation(identifiers=[{"type": "phone", "value": raw}], **changes))
        return parsed.observation.identifiers

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("010-1234-5678", id="local with hyphens"),
            pytest.param("01012345678", id="local digits"),
            pytest.param("+82 10-1234-5678", id="plus and country code"),
            pytest.param("0082-10-1234-5678", id="international prefix 00"),
            pytest.param("001-82-10-1234-5678", id="carrier prefix 001"),
            pytest.param("002 82 10 1234 5678", id="carrier prefix 002"),
        ],
    )
    def test_the_country_attribute_decides(self, parser: ObservationParser, raw: str) -> None:
        assert self.phones(parser, raw, attributes={"country": "kr"}) == (KR_MOBILE,)

    def test_the_source_setting_decides_without_a_country(self) -> None:
        parser = ObservationParser(Settings(phone_regions={"shop": "KR"}))
        assert self.phones(parser, "010-1234-5678", source="shop") == (KR_MOBILE,)

    def test_the_country_attribute_wins_over_the_source(self) -> None:
        parser = ObservationParser(Settings(phone_regions={"shop": "KR"}))
        found = self.phones(parser, "(212) 555-0100", source="shop", attributes={"country": "US"})
        assert found == (PHONE,)

    def test_else_the_default_region(self, parser: ObservationParser) -> None:
        with pytest.raises(ObservationRejected):
            self.phones(parser, "010-1234-5678")

    def test_00_is_an_international_prefix_from_anywhere(self, parser: ObservationParser) -> None:
        assert self.phones(parser, "0082-10-1234-5678") == (KR_MOBILE,)


class TestDeclaredDateFormats:
    SETTINGS = Settings(date_formats={"shop": ("YYYY.MM.DD", "YYMMDD"), "default": ("DD/MM/YYYY",)})

    @pytest.mark.parametrize(
        ("source", "raw", "expected"),
        [
            pytest.param("shop", "1993.11.02", "1993-11-02", id="the source's format"),
            pytest.param("shop", "931102", "1993-11-02", id="its two-digit year"),
            pytest.param("other", "02/11/1993", "1993-11-02", id="the default formats"),
            pytest.param("other", "1993-11-02", "1993-11-02", id="ISO besides"),
        ],
    )
    def test_read_by_the_source_formats(self, source: str, raw: str, expected: str) -> None:
        parsed = ObservationParser(self.SETTINGS).parse(
            observation(source=source, attributes={"date_of_birth": raw})
        )
        assert parsed.observation.attributes == {"date_of_birth": expected}

    def test_another_source_format_is_refused(self) -> None:
        parsed = ObservationParser(self.SETTINGS).parse(
            observation(source="other", attributes={"date_of_birth": "931102"})
        )
        assert refused(parsed) == [
            ("attributes.date_of_birth", "931102", "attributes.date_of_birth.format")
        ]


class TestAttributesOfEveryScript:
    def test_hangul_and_other_scripts_are_kept(self, parser: ObservationParser) -> None:
        attributes = {
            "full_name": "김민준",
            "address": "서울특별시 강남구 테헤란로 152",
            "city": "Москва",
        }
        parsed = parser.parse(observation(attributes=attributes))
        assert parsed.refusals == ()
        assert parsed.observation.attributes == attributes

    @pytest.mark.parametrize("raw", ["-", "???", "・・"])
    def test_a_value_with_nothing_to_compare_is_refused(
        self, parser: ObservationParser, raw: str
    ) -> None:
        parsed = parser.parse(observation(attributes={"last_name": raw}))
        assert refused(parsed) == [("attributes.last_name", raw, "attributes.nothing_to_compare")]
