"""Normalization of identifiers: every built-in type, blocked values, custom types and
the refusals (field, value, rule) for everything that does not normalize."""

from __future__ import annotations

import pytest

from identity.errors import ConfigurationError, IdentifierRefused, Refusal
from identity.identifiers import Identifier, IdentifierNormalizer
from identity.settings import DEFAULT_BLOCKED_VALUES, CustomType, Settings


@pytest.fixture(scope="module")
def normalizer() -> IdentifierNormalizer:
    return IdentifierNormalizer(Settings())


def refusal(normalizer: IdentifierNormalizer, kind: object, raw: object) -> Refusal:
    """The one refusal the normalizer gives for ``(kind, raw)``."""
    with pytest.raises(IdentifierRefused) as caught:
        normalizer.normalize(kind, raw)
    assert len(caught.value.refusals) == 1
    return caught.value.first


class TestIdentifier:
    def test_key_is_type_and_value(self) -> None:
        assert Identifier("email", "jane@example.com").key == "email:jane@example.com"

    def test_from_key_splits_at_the_first_colon_only(self) -> None:
        assert Identifier.from_key("customer_id:crm/a:b") == Identifier("customer_id", "crm/a:b")

    def test_str_is_the_key(self) -> None:
        assert str(Identifier("phone", "+12125550100")) == "phone:+12125550100"


class TestNormalizeCookie:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param("abc123", "abc123", id="a plain cookie is kept"),
            pytest.param("  abc123\t", "abc123", id="surrounding whitespace is dropped"),
            pytest.param("AbC123", "AbC123", id="case is kept because cookies are opaque"),
        ],
    )
    def test_normalizes(self, normalizer: IdentifierNormalizer, raw: str, expected: str) -> None:
        assert normalizer.normalize("cookie", raw) == Identifier("cookie", expected)

    @pytest.mark.parametrize(
        ("raw", "rule"),
        [
            pytest.param("", "cookie.non_empty", id="an empty cookie is refused"),
            pytest.param("   ", "cookie.non_empty", id="a blank cookie is refused"),
            pytest.param("ab c", "cookie.format", id="a space inside is refused"),
            pytest.param("ab\x07c", "cookie.format", id="a control character is refused"),
        ],
    )
    def test_refuses(self, normalizer: IdentifierNormalizer, raw: str, rule: str) -> None:
        found = refusal(normalizer, "cookie", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, rule)


class TestNormalizeDevice:
    EXPECTED = "6d92078a-8246-4ba4-ae5b-76104861e7dc"

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("6d92078a-8246-4ba4-ae5b-76104861e7dc", id="a lower-case UUID is kept"),
            pytest.param(
                "6D92078A-8246-4BA4-AE5B-76104861E7DC", id="an upper-case IDFA is lowered"
            ),
            pytest.param("{6D92078A-8246-4BA4-AE5B-76104861E7DC}", id="braces are dropped"),
            pytest.param("6d92078a82464ba4ae5b76104861e7dc", id="hyphens are put back"),
            pytest.param(" 6D92078A82464BA4AE5B76104861E7DC ", id="whitespace is dropped"),
        ],
    )
    def test_normalizes(self, normalizer: IdentifierNormalizer, raw: str) -> None:
        assert normalizer.normalize("device", raw) == Identifier("device", self.EXPECTED)

    @pytest.mark.parametrize(
        ("raw", "rule"),
        [
            pytest.param(
                "00000000-0000-0000-0000-000000000000",
                "device.zero_ad_id",
                id="the all-zero ad ID is refused",
            ),
            pytest.param(
                "{00000000000000000000000000000000}",
                "device.zero_ad_id",
                id="the all-zero ad ID is refused in any spelling",
            ),
            pytest.param(
                "6d92078a-8246-4ba4-ae5b-76104861e7d", "device.uuid", id="31 hex digits are refused"
            ),
            pytest.param(
                "6d92078a-8246-4ba4-ae5b-76104861e7dcx",
                "device.uuid",
                id="trailing garbage is refused",
            ),
            pytest.param(
                "g d92078a-8246-4ba4-ae5b-76104861e7dc", "device.uuid", id="non-hex is refused"
            ),
            pytest.param("", "device.uuid", id="an empty device ID is refused"),
        ],
    )
    def test_refuses(self, normalizer: IdentifierNormalizer, raw: str, rule: str) -> None:
        found = refusal(normalizer, "device", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, rule)


class TestNormalizeEmail:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param("jane.doe@example.com", "jane.doe@example.com", id="a clean address"),
            pytest.param("Jane.Doe@Example.COM", "jane.doe@example.com", id="case is folded"),
            pytest.param("  jane@example.com\t\n", "jane@example.com", id="whitespace is dropped"),
            pytest.param("jane@xn--bcher-kva.de", "jane@bücher.de", id="an IDNA domain is decoded"),
            pytest.param("JANE@BÜCHER.DE", "jane@bücher.de", id="a unicode domain is folded"),
            pytest.param("josé@example.com", "josé@example.com", id="a unicode local part is kept"),
            pytest.param(
                "\uff4a\uff41\uff4e\uff45@example.com",
                "jane@example.com",
                id="fullwidth letters fold",
            ),
            pytest.param(
                "jane\uff20example.com", "jane@example.com", id="a fullwidth at-sign folds"
            ),
            pytest.param(
                "\U0001d423\U0001d41a\U0001d427\U0001d41e@example.com",
                "jane@example.com",
                id="styled letters fold",
            ),
            pytest.param("\ufb01le@example.com", "file@example.com", id="a ligature folds"),
            pytest.param(
                "jane@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
                "jane@example.com",
                id="a fullwidth domain",
            ),
        ],
    )
    def test_normalizes(self, normalizer: IdentifierNormalizer, raw: str, expected: str) -> None:
        assert normalizer.normalize("email", raw) == Identifier("email", expected)

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param("jane@xn--bcher-kva.de", id="punycode"),
            pytest.param("jane@XN--BCHER-KVA.DE", id="punycode in upper case"),
            pytest.param("Jane@Bücher.de", id="unicode"),
            pytest.param("jane@\uff22Ü\uff23\uff28\uff25\uff32.de", id="fullwidth unicode"),
        ],
    )
    def test_every_spelling_of_an_idna_domain_is_one_identifier_in_unicode(
        self, normalizer: IdentifierNormalizer, spelling: str
    ) -> None:
        assert normalizer.normalize("email", spelling).key == "email:jane@bücher.de"

    def test_a_look_alike_domain_stays_a_different_identifier(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        cyrillic = normalizer.normalize("email", "jane@xn--pypal-4ve.com")
        assert cyrillic.key == "email:jane@p\u0430ypal.com"
        assert cyrillic != normalizer.normalize("email", "jane@paypal.com")

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("jane.example.com", id="no at-sign"),
            pytest.param("jane@", id="nothing after the at-sign"),
            pytest.param("@example.com", id="nothing before the at-sign"),
            pytest.param("jane@@example.com", id="two at-signs"),
            pytest.param("jane doe@example.com", id="a space in the local part"),
            pytest.param("jane@localhost", id="a domain without a dot"),
            pytest.param("jane@exa_mple.com", id="an underscore in the domain"),
            pytest.param("jane@example.com.", id="a trailing dot"),
            pytest.param("", id="an empty string"),
        ],
    )
    def test_refuses_invalid_syntax(self, normalizer: IdentifierNormalizer, raw: str) -> None:
        found = refusal(normalizer, "email", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, "email.syntax")
        assert found.message


class TestNormalizePhone:
    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("(212) 555-0100", id="US national format"),
            pytest.param("212.555.0100", id="dots"),
            pytest.param("2125550100", id="bare digits"),
            pytest.param("1-212-555-0100", id="with trunk prefix 1"),
            pytest.param("+1 212 555 0100", id="international format"),
            pytest.param(" +1 (212) 555-0100 ", id="international with whitespace around"),
        ],
    )
    def test_default_region_us_gives_e164(self, normalizer: IdentifierNormalizer, raw: str) -> None:
        assert normalizer.normalize("phone", raw) == Identifier("phone", "+12125550100")

    def test_a_number_with_a_country_code_ignores_the_default_region(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        assert normalizer.normalize("phone", "+44 20 7946 0958").key == "phone:+442079460958"

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("020 7946 0958", id="UK national format"),
            pytest.param("00 44 20 7946 0958", id="UK international dialling prefix"),
            pytest.param("+44 (0)20 7946 0958", id="the UK (0) convention"),
        ],
    )
    def test_another_default_region(self, raw: str) -> None:
        uk = IdentifierNormalizer(Settings(default_region="GB"))
        assert uk.normalize("phone", raw) == Identifier("phone", "+442079460958")

    def test_a_national_number_is_read_in_the_default_region(self) -> None:
        uk = IdentifierNormalizer(Settings(default_region="GB"))
        found = refusal(uk, "phone", "(212) 555-0100")
        assert found.rule == "phone.valid"
        assert "region GB" in found.message

    @pytest.mark.parametrize(
        ("raw", "rule"),
        [
            pytest.param("020 7946 0958", "phone.valid", id="a UK number without +44 in the US"),
            pytest.param("12345", "phone.valid", id="too short"),
            pytest.param("555-555-5555", "phone.valid", id="an unassigned area code"),
            pytest.param("hello", "phone.parse", id="letters"),
            pytest.param("", "phone.parse", id="an empty string"),
            pytest.param("+999 1234", "phone.parse", id="an unknown country code"),
        ],
    )
    def test_refuses_invalid_numbers(
        self, normalizer: IdentifierNormalizer, raw: str, rule: str
    ) -> None:
        found = refusal(normalizer, "phone", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, rule)


class TestNormalizeSocial:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param("instagram/jane.doe", "instagram/jane.doe", id="a clean handle"),
            pytest.param("Instagram/@Jane.Doe", "instagram/jane.doe", id="case and at-sign go"),
            pytest.param(" TikTok / @Jane_Doe ", "tiktok/jane_doe", id="spaces around parts go"),
        ],
    )
    def test_normalizes(self, normalizer: IdentifierNormalizer, raw: str, expected: str) -> None:
        assert normalizer.normalize("social", raw) == Identifier("social", expected)

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("@jane", id="no platform"),
            pytest.param("instagram/", id="no handle"),
            pytest.param("instagram/@", id="only an at-sign as handle"),
            pytest.param("insta gram/jane", id="a space in the platform"),
            pytest.param("tiktok/jane doe", id="a space in the handle"),
        ],
    )
    def test_refuses(self, normalizer: IdentifierNormalizer, raw: str) -> None:
        found = refusal(normalizer, "social", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, "social.format")


class TestNormalizeCustomerId:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param("crm/C-1042", "crm/C-1042", id="a clean customer ID"),
            pytest.param("CRM/C-1042", "crm/C-1042", id="the source is lowered, the ID kept"),
            pytest.param(" CRM / C-1042 ", "crm/C-1042", id="spaces around parts go"),
            pytest.param("shop/a/b", "shop/a/b", id="a slash inside the ID is kept"),
        ],
    )
    def test_normalizes(self, normalizer: IdentifierNormalizer, raw: str, expected: str) -> None:
        assert normalizer.normalize("customer_id", raw) == Identifier("customer_id", expected)

    def test_the_id_part_is_case_sensitive(self, normalizer: IdentifierNormalizer) -> None:
        assert (
            normalizer.normalize("customer_id", "crm/c-1042").key
            != normalizer.normalize("customer_id", "crm/C-1042").key
        )

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("C-1042", id="no source"),
            pytest.param("/C-1042", id="an empty source"),
            pytest.param("crm/", id="an empty ID"),
            pytest.param("crm/C 1042", id="a space in the ID"),
            pytest.param("my crm/C-1042", id="a space in the source"),
        ],
    )
    def test_refuses(self, normalizer: IdentifierNormalizer, raw: str) -> None:
        found = refusal(normalizer, "customer_id", raw)
        assert (found.field, found.value, found.rule) == (
            "identifier.value",
            raw,
            "customer_id.format",
        )


class TestUnicodeFolding:
    @pytest.mark.parametrize(
        ("kind", "raw", "expected"),
        [
            pytest.param(
                "social",
                "\uff49\uff4e\uff53\uff54\uff41\uff47\uff52\uff41\uff4d/\uff4a\uff41\uff4e\uff45",
                "instagram/jane",
                id="a fullwidth handle",
            ),
            pytest.param(
                "device",
                "\uff21\uff22\uff23\uff24\uff25\uff26\uff10\uff11-2345-6789-abcd-ef0123456789",
                "abcdef01-2345-6789-abcd-ef0123456789",
                id="a fullwidth device ID",
            ),
            pytest.param(
                "cookie", "\uff43\uff4b-1", "\uff43\uff4b-1", id="a cookie is an opaque token, kept"
            ),
            pytest.param(
                "customer_id", "crm/\uff23-1", "crm/\uff23-1", id="a customer number is kept"
            ),
        ],
    )
    def test_width_folds_only_where_a_person_types_the_value(
        self, normalizer: IdentifierNormalizer, kind: str, raw: str, expected: str
    ) -> None:
        assert normalizer.normalize(kind, raw).value == expected

    @pytest.mark.parametrize("kind", ["cookie", "email", "social", "customer_id", "device"])
    def test_a_lone_surrogate_is_refused_and_shown_escaped(
        self, normalizer: IdentifierNormalizer, kind: str
    ) -> None:
        found = refusal(normalizer, kind, "ab\ud800c")
        assert (found.field, found.value, found.rule) == (
            "identifier.value",
            "ab\\ud800c",
            "identifier.unicode",
        )
        found.value.encode("utf-8")


class TestBlockedValues:
    @pytest.mark.parametrize(
        ("kind", "raw", "shown"),
        [
            pytest.param("email", "test@test.com", "email:test@test.com", id="test at test"),
            pytest.param("email", " Test@TEST.com ", "email:test@test.com", id="in any case"),
            pytest.param("email", "noemail@none.com", "email:noemail@none.com", id="noemail"),
            pytest.param("email", "example@example.com", "email:example@example.com", id="example"),
            pytest.param("cookie", "undefined", "cookie:undefined", id="an undefined cookie"),
            pytest.param("cookie", "NULL", "cookie:NULL", id="a null cookie in upper case"),
            pytest.param("cookie", "0", "cookie:0", id="a zero cookie"),
        ],
    )
    def test_refused_with_rule_blocked_value(
        self, normalizer: IdentifierNormalizer, kind: str, raw: str, shown: str
    ) -> None:
        found = refusal(normalizer, kind, raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, "blocked_value")
        assert shown in found.message

    def test_a_real_address_at_a_blocked_domain_is_fine(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        assert normalizer.normalize("email", "jane@test.com").key == "email:jane@test.com"

    def test_the_blocked_list_comes_from_settings(self) -> None:
        blocked = {**DEFAULT_BLOCKED_VALUES, "email": frozenset({"info@acme.example"})}
        custom = IdentifierNormalizer(Settings(blocked_values=blocked))
        assert refusal(custom, "email", "Info@Acme.example").rule == "blocked_value"
        assert custom.normalize("email", "test@test.com").key == "email:test@test.com"


LOYALTY = CustomType("loyalty", r"[a-z]{2}\d{6}", casefold=True, max_length=8)


@pytest.fixture(scope="module")
def custom() -> IdentifierNormalizer:
    blocked = {**DEFAULT_BLOCKED_VALUES, "loyalty": frozenset({"xx000000"})}
    return IdentifierNormalizer(Settings(custom_types=(LOYALTY,), blocked_values=blocked))


class TestCustomTypes:
    def test_is_listed_among_the_types(self, custom: IdentifierNormalizer) -> None:
        assert custom.types == (
            "cookie",
            "customer_id",
            "device",
            "email",
            "loyalty",
            "phone",
            "social",
        )

    def test_normalizes_with_case_folding(self, custom: IdentifierNormalizer) -> None:
        assert custom.normalize("loyalty", " AB123456 ") == Identifier("loyalty", "ab123456")

    def test_case_is_kept_without_case_folding(self) -> None:
        exact = IdentifierNormalizer(Settings(custom_types=(CustomType("ref", r"[A-Za-z]+"),)))
        assert exact.normalize("ref", "AbC").key == "ref:AbC"

    @pytest.mark.parametrize(
        ("raw", "rule"),
        [
            pytest.param("ab12345", "loyalty.pattern", id="too few digits break the pattern"),
            pytest.param("ab1234567", "loyalty.max_length", id="over the type's length limit"),
            pytest.param("XX000000", "blocked_value", id="a blocked placeholder"),
        ],
    )
    def test_refuses(self, custom: IdentifierNormalizer, raw: str, rule: str) -> None:
        found = refusal(custom, "loyalty", raw)
        assert (found.field, found.value, found.rule) == ("identifier.value", raw, rule)

    def test_is_unknown_without_configuration(self, normalizer: IdentifierNormalizer) -> None:
        assert refusal(normalizer, "loyalty", "ab123456").rule == "identifier.known_type"

    def test_cannot_shadow_a_built_in_type(self) -> None:
        with pytest.raises(ConfigurationError, match="'email' shadows a built-in type"):
            IdentifierNormalizer(Settings(custom_types=(CustomType("email", r".+"),)))

    @pytest.mark.parametrize(
        ("custom", "message"),
        [
            pytest.param(CustomType("Loyalty", r"\d+"), "must match", id="a capitalized name"),
            pytest.param(CustomType("loyalty", r"(\d+"), "does not compile", id="a bad pattern"),
        ],
    )
    def test_bad_declarations_are_configuration_errors(
        self, custom: CustomType, message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=message):
            Settings(custom_types=(custom,))


class TestRefusedInput:
    @pytest.mark.parametrize(
        "kind",
        [
            pytest.param("fax", id="an unknown name"),
            pytest.param("Email", id="a known name in the wrong case"),
            pytest.param(None, id="no type"),
            pytest.param(7, id="a number as type"),
        ],
    )
    def test_unknown_type(self, normalizer: IdentifierNormalizer, kind: object) -> None:
        found = refusal(normalizer, kind, "jane@example.com")
        assert (found.field, found.value, found.rule) == (
            "identifier.type",
            kind,
            "identifier.known_type",
        )
        assert "cookie, customer_id, device, email, phone, social" in found.message

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(None, id="null"),
            pytest.param(2125550100, id="a number"),
            pytest.param(["jane@example.com"], id="a list"),
            pytest.param(True, id="a boolean"),
        ],
    )
    def test_value_must_be_a_string(self, normalizer: IdentifierNormalizer, raw: object) -> None:
        found = refusal(normalizer, "email", raw)
        assert (found.field, found.value, found.rule) == (
            "identifier.value",
            raw,
            "identifier.string",
        )

    def test_a_value_at_the_length_limit_is_accepted(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        assert normalizer.normalize("cookie", "c" * 512).value == "c" * 512

    def test_an_over_long_value_is_refused_and_shown_shortened(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        found = refusal(normalizer, "cookie", "c" * 513)
        assert (found.field, found.value, found.rule) == (
            "identifier.value",
            "c" * 64 + "...",
            "identifier.max_length",
        )

    def test_the_length_limit_comes_from_settings(self) -> None:
        short = IdentifierNormalizer(Settings(max_value_length=10))
        assert refusal(short, "cookie", "c" * 11).rule == "identifier.max_length"

    def test_a_nul_character_is_refused(self, normalizer: IdentifierNormalizer) -> None:
        found = refusal(normalizer, "cookie", "ab\x00c")
        assert (found.field, found.value, found.rule) == (
            "identifier.value",
            "ab\x00c",
            "identifier.no_nul",
        )

    def test_the_field_names_where_the_value_came_from(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        with pytest.raises(IdentifierRefused) as caught:
            normalizer.normalize("email", "nope", field="identifiers[3]")
        assert caught.value.first.field == "identifiers[3].value"

    def test_a_refusal_is_repeated_for_a_cached_value(
        self, normalizer: IdentifierNormalizer
    ) -> None:
        first = refusal(normalizer, "email", "repeat-me")
        assert refusal(normalizer, "email", "repeat-me") == first
