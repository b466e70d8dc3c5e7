"""Effective consent (DESIGN.md, Consent): per identifier and purpose the latest statement
counts, denied wins a tie; a profile is denied if any identifier is denied, else granted if
any is granted, else unknown; the deciding statements come with the answer."""

from __future__ import annotations

import pytest

from identity.consent import (
    ConsentStatement,
    ConsentStatus,
    EffectiveConsent,
    counting_statements,
    effective_consent,
)

GRANTED, DENIED, UNKNOWN = ConsentStatus.GRANTED, ConsentStatus.DENIED, ConsentStatus.UNKNOWN
EMAIL_A = "email:a@example.com"
EMAIL_B = "email:b@example.com"
PHONE = "phone:+12125550100"
PURPOSES = ("email", "sms")


def said(
    subject: str,
    status: ConsentStatus,
    at: str,
    purpose: str = "email",
    source: str = "crm",
) -> ConsentStatement:
    return ConsentStatement(subject, purpose, status, f"2026-01-{at}T00:00:00Z", source)


class TestCountingStatements:
    def test_the_latest_statement_per_identifier_and_purpose_counts(self) -> None:
        old = said(EMAIL_A, GRANTED, "01")
        new = said(EMAIL_A, DENIED, "02")
        assert counting_statements([new, old]) == {(EMAIL_A, "email"): new}

    def test_a_later_grant_overrides_an_earlier_denial(self) -> None:
        old = said(EMAIL_A, DENIED, "01")
        new = said(EMAIL_A, GRANTED, "02")
        assert counting_statements([old, new]) == {(EMAIL_A, "email"): new}

    def test_purposes_and_identifiers_are_counted_apart(self) -> None:
        rows = [
            said(EMAIL_A, GRANTED, "01"),
            said(EMAIL_A, DENIED, "01", purpose="sms"),
            said(EMAIL_B, DENIED, "01"),
        ]
        assert counting_statements(rows) == {
            (EMAIL_A, "email"): rows[0],
            (EMAIL_A, "sms"): rows[1],
            (EMAIL_B, "email"): rows[2],
        }

    @pytest.mark.parametrize(
        "order",
        [
            pytest.param((0, 1, 2), id="denied last"),
            pytest.param((2, 1, 0), id="denied first"),
            pytest.param((1, 2, 0), id="denied in the middle"),
        ],
    )
    def test_on_a_tie_in_time_denied_counts(self, order: tuple[int, int, int]) -> None:
        rows = [
            said(EMAIL_A, GRANTED, "05", source="web"),
            said(EMAIL_A, UNKNOWN, "05", source="app"),
            said(EMAIL_A, DENIED, "05", source="crm"),
        ]
        counted = counting_statements([rows[i] for i in order])
        assert counted[(EMAIL_A, "email")] == rows[2]

    def test_on_a_tie_in_time_granted_beats_unknown(self) -> None:
        rows = [said(EMAIL_A, GRANTED, "05"), said(EMAIL_A, UNKNOWN, "05")]
        assert counting_statements(rows)[(EMAIL_A, "email")].status is GRANTED
        assert counting_statements(rows[::-1])[(EMAIL_A, "email")].status is GRANTED


class TestEffectiveConsent:
    def test_no_statements_leave_every_purpose_unknown(self) -> None:
        assert effective_consent([], PURPOSES) == {
            "email": EffectiveConsent("email", UNKNOWN, ()),
            "sms": EffectiveConsent("sms", UNKNOWN, ()),
        }

    def test_one_grant_grants(self) -> None:
        grant = said(EMAIL_A, GRANTED, "01")
        assert effective_consent([grant], PURPOSES)["email"] == EffectiveConsent(
            "email", GRANTED, (grant,)
        )

    def test_any_denied_identifier_denies_the_profile(self) -> None:
        grant_a = said(EMAIL_A, GRANTED, "09")
        deny_b = said(EMAIL_B, DENIED, "01")
        grant_phone = said(PHONE, GRANTED, "09")
        result = effective_consent([grant_a, deny_b, grant_phone], PURPOSES)
        assert result["email"] == EffectiveConsent("email", DENIED, (deny_b,))

    def test_granted_if_any_granted_and_none_denied(self) -> None:
        grant_a = said(EMAIL_A, GRANTED, "02")
        unknown_b = said(EMAIL_B, UNKNOWN, "03")
        result = effective_consent([unknown_b, grant_a], PURPOSES)
        assert result["email"] == EffectiveConsent("email", GRANTED, (grant_a,))

    def test_only_unknown_statements_are_unknown_without_statements(self) -> None:
        result = effective_consent([said(EMAIL_A, UNKNOWN, "01")], PURPOSES)
        assert result["email"] == EffectiveConsent("email", UNKNOWN, ())

    def test_a_withdrawn_denial_no_longer_counts(self) -> None:
        deny = said(EMAIL_A, DENIED, "01")
        grant = said(EMAIL_A, GRANTED, "02")
        result = effective_consent([deny, grant], PURPOSES)
        assert result["email"] == EffectiveConsent("email", GRANTED, (grant,))

    def test_a_tie_between_grant_and_denial_denies(self) -> None:
        grant = said(EMAIL_A, GRANTED, "03", source="web")
        deny = said(EMAIL_A, DENIED, "03", source="crm")
        assert effective_consent([grant, deny], PURPOSES)["email"].status is DENIED
        assert effective_consent([deny, grant], PURPOSES)["email"].status is DENIED

    def test_every_deciding_statement_is_returned_sorted_by_subject(self) -> None:
        deny_phone = said(PHONE, DENIED, "01")
        deny_a = said(EMAIL_A, DENIED, "04")
        result = effective_consent([deny_phone, said(EMAIL_B, GRANTED, "05"), deny_a], PURPOSES)
        assert result["email"].statements == (deny_a, deny_phone)

    def test_purposes_are_decided_apart(self) -> None:
        email_denied = said(EMAIL_A, DENIED, "01")
        sms_granted = said(PHONE, GRANTED, "01", purpose="sms")
        result = effective_consent([email_denied, sms_granted], PURPOSES)
        assert result["email"].status is DENIED
        assert result["sms"] == EffectiveConsent("sms", GRANTED, (sms_granted,))

    def test_a_purpose_outside_the_configured_list_is_still_answered(self) -> None:
        statement = said(EMAIL_A, GRANTED, "01", purpose="postal_mail")
        result = effective_consent([statement], PURPOSES)
        assert sorted(result) == ["email", "postal_mail", "sms"]
        assert result["postal_mail"].status is GRANTED

    def test_the_result_does_not_depend_on_statement_order(self) -> None:
        rows = [
            said(EMAIL_A, GRANTED, "01"),
            said(EMAIL_A, DENIED, "02"),
            said(EMAIL_B, GRANTED, "03"),
            said(PHONE, DENIED, "02", purpose="sms"),
            said(PHONE, GRANTED, "04", purpose="sms"),
        ]
        assert effective_consent(rows, PURPOSES) == effective_consent(rows[::-1], PURPOSES)


class TestConsentToDict:
    def test_a_statement_serializes_with_its_proof(self) -> None:
        statement = ConsentStatement(
            EMAIL_A, "email", GRANTED, "2026-01-01T00:00:00Z", "crm", '{"form": "signup"}'
        )
        assert statement.to_dict() == {
            "subject": EMAIL_A,
            "purpose": "email",
            "status": "granted",
            "at": "2026-01-01T00:00:00Z",
            "source": "crm",
            "proof": {"form": "signup"},
        }

    def test_an_effective_status_serializes_with_its_statements(self) -> None:
        deny = said(EMAIL_A, DENIED, "01")
        assert EffectiveConsent("email", DENIED, (deny,)).to_dict() == {
            "status": "denied",
            "statements": [deny.to_dict()],
        }


def passed_on(
    subject: str, status: ConsentStatus, at: str, via: str, purpose: str = "email"
) -> ConsentStatement:
    return ConsentStatement(subject, purpose, status, f"2026-01-{at}T00:00:00Z", "crm", via=via)


class TestInheritedStatements:
    @pytest.mark.parametrize(
        ("statements", "expected"),
        [
            pytest.param(
                [said(EMAIL_A, DENIED, "01"), passed_on(EMAIL_A, GRANTED, "05", PHONE)],
                DENIED,
                id="a later permission through the profile does not lift an own opt-out",
            ),
            pytest.param(
                [said(EMAIL_A, GRANTED, "01"), passed_on(EMAIL_A, DENIED, "05", PHONE)],
                DENIED,
                id="a later opt-out through the profile overrides an own permission",
            ),
            pytest.param(
                [passed_on(EMAIL_A, DENIED, "01", PHONE), said(EMAIL_A, GRANTED, "05")],
                GRANTED,
                id="a later own permission overrides an opt-out through the profile",
            ),
            pytest.param(
                [passed_on(EMAIL_A, GRANTED, "01", "*"), said(EMAIL_A, DENIED, "01")],
                DENIED,
                id="an own opt-out and a profile-wide permission at the same time deny",
            ),
            pytest.param(
                [passed_on(EMAIL_A, GRANTED, "05", EMAIL_B)],
                None,
                id="a permission through an identifier no longer in the profile does not count",
            ),
            pytest.param(
                [passed_on(EMAIL_A, DENIED, "05", EMAIL_B)],
                DENIED,
                id="an opt-out through an identifier no longer in the profile still counts",
            ),
            pytest.param(
                [passed_on(EMAIL_A, GRANTED, "05", "*")],
                GRANTED,
                id="a privacy officer's statement about the profile counts for every member",
            ),
        ],
    )
    def test_counting(self, statements: list[ConsentStatement], expected: object) -> None:
        counted = counting_statements(statements, members=(EMAIL_A, PHONE))
        found = counted.get((EMAIL_A, "email"))
        assert (found.status if found else None) == expected
