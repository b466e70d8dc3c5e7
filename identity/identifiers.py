"""Identifiers and their normalization.

An identifier is ``(type, value)`` after normalization, written ``type:value``. Every
built-in type has a normalizer in ``BUILTIN_NORMALIZERS`` (an explicit registry);
custom types come from configuration. A value that does not normalize is refused with
the field, the value and the rule it broke; nothing half-valid is ever returned.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from identity.errors import ConfigurationError, IdentifierRefused, Refusal
from identity.settings import CustomType, Settings


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    type: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.type}:{self.value}"

    @classmethod
    def from_key(cls, key: str) -> Identifier:
        kind, _, value = key.partition(":")
        return cls(kind, value)

    def __str__(self) -> str:
        return self.key

    def __reduce__(self) -> tuple[Any, ...]:
        return Identifier, (self.type, self.value)


class RuleBroken(ValueError):
    """Raised by a normalizer: the rule's name and a sentence a person can act on."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


Normalizer = Callable[[str], str]

_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_PLATFORM = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
_HANDLE = re.compile(r"[\w.\-]{1,100}")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_REGION = re.compile(r"[A-Z]{2}")


def normalize_cookie(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise RuleBroken("cookie.non_empty", "a cookie ID cannot be empty")
    if _CONTROL_OR_SPACE.search(value):
        raise RuleBroken("cookie.format", "a cookie ID cannot contain spaces or control characters")
    return value


def compatibility_folded(raw: str) -> str:
    """NFKC: fullwidth and halfwidth forms, ligatures and styled letters (U+FF50
    FULLWIDTH LATIN SMALL LETTER P, U+FB01 LATIN SMALL LIGATURE FI, U+1D41A MATHEMATICAL
    BOLD SMALL A) become the plain characters they stand for. For the types whose values
    a person types (emails, handles, device IDs); never for opaque tokens (cookies,
    customer IDs, custom types), whose every code point is the value."""
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw)


def normalize_device(raw: str) -> str:
    value = compatibility_folded(raw).strip().strip("{}").lower()
    if not _UUID.fullmatch(value):
        raise RuleBroken(
            "device.uuid", "a device ID (IDFA, GAID, vendor ID) must be a UUID: 32 hex digits"
        )
    digits = value.replace("-", "")
    if set(digits) == {"0"}:
        raise RuleBroken(
            "device.zero_ad_id",
            "the all-zero advertising ID means tracking is limited, not a device",
        )
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def normalize_email(raw: str) -> str:
    try:
        result = validate_email(compatibility_folded(raw).strip(), check_deliverability=False)
    except EmailNotValidError as e:
        raise RuleBroken("email.syntax", str(e)) from e
    return result.normalized.lower()


_INTERNATIONAL_00 = re.compile(r"\s*00[\s.-]*(?=[1-9])")


def make_phone_normalizer(default_region: str) -> Normalizer:
    """Phone numbers of ``default_region`` (local forms), or international: ``+`` or
    that country's international prefix (``011`` from the US; ``001``, ``002``,
    ``00700`` ... from Korea), and ``00`` from anywhere (the prefix most countries
    dial)."""

    def parse(raw: str) -> phonenumbers.PhoneNumber | None:
        try:
            number = phonenumbers.parse(raw, default_region)
        except phonenumbers.NumberParseException:
            return None
        return number if phonenumbers.is_valid_number(number) else None

    def normalize_phone(raw: str) -> str:
        text = raw.strip()
        number = parse(text)
        if number is None and _INTERNATIONAL_00.match(text):
            number = parse("+" + _INTERNATIONAL_00.sub("", text, count=1))
        if number is None:
            try:
                phonenumbers.parse(text, default_region)
            except phonenumbers.NumberParseException as e:
                raise RuleBroken("phone.parse", f"not a phone number: {e}") from e
            raise RuleBroken(
                "phone.valid",
                f"not a valid phone number (region {default_region})",
            )
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

    return normalize_phone


@lru_cache(maxsize=1 << 14)
def is_fixed_line(key: str) -> bool:
    """Whether an identifier key is a phone number its country's plan marks as a fixed
    line (not mobile, and not a number that may be either, as in the US plan)."""
    if not key.startswith("phone:"):
        return False
    try:
        number = phonenumbers.parse(key[len("phone:") :], None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE)


def normalize_social(raw: str) -> str:
    platform, slash, handle = compatibility_folded(raw).strip().partition("/")
    platform = platform.strip().lower()
    handle = unicodedata.normalize("NFC", handle.strip().lstrip("@").lower())
    if not slash or not _PLATFORM.fullmatch(platform) or not _HANDLE.fullmatch(handle):
        raise RuleBroken(
            "social.format", "a social handle is written platform/handle, e.g. instagram/jane.doe"
        )
    return f"{platform}/{handle}"


def normalize_customer_id(raw: str) -> str:
    source, slash, ident = raw.strip().partition("/")
    source = source.strip().lower()
    ident = ident.strip()
    if not slash or not _SOURCE.fullmatch(source) or not ident or _CONTROL_OR_SPACE.search(ident):
        raise RuleBroken(
            "customer_id.format", "a customer ID is written source/id, e.g. crm/C-1042"
        )
    return f"{source}/{ident}"


def make_custom_normalizer(custom: CustomType) -> Normalizer:
    pattern = re.compile(custom.pattern)

    def normalize_custom(raw: str) -> str:
        value = raw.strip()
        if custom.casefold:
            value = value.casefold()
        if len(value) > custom.max_length:
            raise RuleBroken(
                f"{custom.name}.max_length", f"longer than {custom.max_length} characters"
            )
        if not pattern.fullmatch(value):
            raise RuleBroken(f"{custom.name}.pattern", f"does not match {custom.pattern}")
        return value

    return normalize_custom


BUILTIN_NORMALIZERS: Mapping[str, Callable[[Settings], Normalizer]] = {
    "cookie": lambda settings: normalize_cookie,
    "device": lambda settings: normalize_device,
    "email": lambda settings: normalize_email,
    "phone": lambda settings: make_phone_normalizer(settings.default_region),
    "social": lambda settings: normalize_social,
    "customer_id": lambda settings: normalize_customer_id,
}

REGIONAL_NORMALIZERS: Mapping[str, Callable[[str], Normalizer]] = {
    "phone": make_phone_normalizer,
}
"""Types whose local forms depend on a country: normalized for the region an
observation (its ``country``), its source or a lookup names, else for the default."""


class IdentifierNormalizer:
    """Turns raw ``(type, value)`` pairs into identifiers, or refuses them."""

    def __init__(self, settings: Settings, cache_size: int = 65536) -> None:
        self._settings = settings
        normalizers = {name: factory(settings) for name, factory in BUILTIN_NORMALIZERS.items()}
        for custom in settings.custom_types:
            if custom.name in normalizers:
                raise ConfigurationError(f"custom type {custom.name!r} shadows a built-in type")
            normalizers[custom.name] = make_custom_normalizer(custom)
        self._normalizers = normalizers
        self._regional: dict[tuple[str, str], Normalizer] = {}
        self._blocked = settings.blocked_values
        # Exports repeat the same raw values a lot; normalization is the costly step.
        self._cached = lru_cache(maxsize=cache_size)(self._normalize_uncached)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted(self._normalizers))

    def normalize(
        self, kind: object, raw: object, field: str = "identifier", region: str | None = None
    ) -> Identifier:
        """Normalize one identifier; ``field`` names where it came from in refusals;
        ``region`` (ISO 3166 alpha-2) is the country of a phone number's local form,
        when not the default."""
        if not isinstance(kind, str) or kind not in self._normalizers:
            raise IdentifierRefused(
                [
                    Refusal(
                        f"{field}.type",
                        kind,
                        "identifier.known_type",
                        f"unknown identifier type; known types: {', '.join(self.types)}",
                    )
                ]
            )
        if not isinstance(raw, str):
            raise IdentifierRefused(
                [Refusal(f"{field}.value", raw, "identifier.string", "the value must be a string")]
            )
        if not raw.isascii() and _SURROGATE.search(raw):
            # The refusal goes into UTF-8 answers and files: the surrogate escaped.
            shown = raw[:64].encode("utf-8", "backslashreplace").decode("utf-8")
            raise IdentifierRefused(
                [Refusal(f"{field}.value", shown, "identifier.unicode", "holds a lone surrogate")]
            )
        if len(raw) > self._settings.max_value_length:
            raise IdentifierRefused(
                [
                    Refusal(
                        f"{field}.value",
                        raw[:64] + "...",
                        "identifier.max_length",
                        f"longer than {self._settings.max_value_length} characters",
                    )
                ]
            )
        if "\x00" in raw:
            raise IdentifierRefused(
                [Refusal(f"{field}.value", raw, "identifier.no_nul", "the value contains NUL")]
            )
        if region is not None and region != self._settings.default_region:
            if kind not in REGIONAL_NORMALIZERS:
                region = None
            elif not _REGION.fullmatch(region):
                raise IdentifierRefused(
                    [
                        Refusal(
                            f"{field}.region",
                            region,
                            "identifier.region",
                            "an ISO 3166 alpha-2 country code such as KR",
                        )
                    ]
                )
        else:
            region = None
        outcome = self._cached(kind, raw, region)
        if isinstance(outcome, RuleBroken):
            raise IdentifierRefused([Refusal(f"{field}.value", raw, outcome.rule, outcome.message)])
        return outcome

    def _normalize_uncached(
        self, kind: str, raw: str, region: str | None
    ) -> Identifier | RuleBroken:
        normalize = self._normalizers[kind]
        if region is not None:
            normalize = self._regional.get((kind, region)) or self._regional.setdefault(
                (kind, region), REGIONAL_NORMALIZERS[kind](region)
            )
        try:
            value = normalize(raw)
        except RuleBroken as e:
            return e
        if value.lower() in self._blocked.get(kind, frozenset()):
            return RuleBroken(
                "blocked_value",
                f"{kind}:{value} is on the blocked list (a placeholder, not a person)",
            )
        return Identifier(kind, value)
