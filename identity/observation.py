"""Observations: the unit of ingest.

An observation is what one source saw together at one time: identifiers, optional person
attributes and consent statements, and whether the link was authenticated (a login) or
only co-occurring. ``ObservationParser`` turns one decoded JSON object into an
``Observation``; a part that breaks a rule (one identifier, one attribute, one consent
statement) is refused on its own and reported, and the observation is rejected whole only
when what is left cannot stand (no source, no time, no valid identifier).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from identity.consent import ConsentStatus, dated_too_late
from identity.dates import read_date
from identity.errors import Flag, IdentifierRefused, ObservationRejected, Refusal
from identity.identifiers import Identifier, IdentifierNormalizer
from identity.input_rules import data_time, lies_ahead, proof_json, source_name
from identity.lookalikes import lookalike_warnings
from identity.settings import Settings
from matchers.attributes import normalize_attribute

KNOWN_ATTRIBUTES = (
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "date_of_birth",
    "gender",
    "address",
    "city",
    "postcode",
    "region",
    "country",
)
_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Observation IDs were made with ``json.dumps(..., separators=(",", ":"),
# ensure_ascii=False)``: the same text from one encoder instead of a new one per call.
_observation_id_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_MAX_ATTRIBUTE_LENGTH = 256
_COUNTRY = re.compile(r"[A-Z]{2}")
_MAX_INTEGER_BITS = 800  # about 240 decimal digits
# C0 and C1 controls and DEL (tabs and newlines are collapsed to spaces before this).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ConsentClaim:
    """A consent statement as observed: ``subject`` is an identifier key, or None for the
    whole profile the observation resolves to."""

    subject: str | None
    purpose: str
    status: ConsentStatus
    at: str
    proof: str = "{}"

    def __reduce__(self) -> tuple[Any, ...]:
        return ConsentClaim, (self.subject, self.purpose, self.status, self.at, self.proof)


@dataclass(frozen=True, slots=True)
class Observation:
    source: str
    observed_at: str
    identifiers: tuple[Identifier, ...]
    authenticated: bool = False
    attributes: Mapping[str, str] = field(default_factory=dict)
    consent: tuple[ConsentClaim, ...] = ()

    observation_id: str = field(init=False, default="")
    """Content hash: the same observation twice has the same ID (idempotent ingest)."""

    def __post_init__(self) -> None:
        canonical = _observation_id_json(
            [
                self.source,
                self.observed_at,
                self.authenticated,
                sorted(i.key for i in self.identifiers),
                sorted(self.attributes.items()),
                [[c.subject, c.purpose, c.status.value, c.at, c.proof] for c in self.consent],
            ]
        )
        digest = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
        object.__setattr__(self, "observation_id", digest)

    def __reduce__(self) -> tuple[Any, ...]:
        # Parsed observations go from the parse worker to the loading process pickled;
        # rebuilt from their fields as they are, the ID is not computed again.
        return _restored_observation, (
            self.source,
            self.observed_at,
            self.identifiers,
            self.authenticated,
            self.attributes,
            self.consent,
            self.observation_id,
        )

    def restricted_to(self, keys: set[str]) -> Observation:
        """The same observation with only the given identifiers (and the consent
        statements about them or about the whole profile)."""
        return Observation(
            source=self.source,
            observed_at=self.observed_at,
            identifiers=tuple(i for i in self.identifiers if i.key in keys),
            authenticated=self.authenticated,
            attributes=self.attributes,
            consent=tuple(c for c in self.consent if c.subject is None or c.subject in keys),
        )


def _restored_observation(
    source: str,
    observed_at: str,
    identifiers: tuple[Identifier, ...],
    authenticated: bool,
    attributes: Mapping[str, str],
    consent: tuple[ConsentClaim, ...],
    observation_id: str,
) -> Observation:
    observation = object.__new__(Observation)
    for name, value in (
        ("source", source),
        ("observed_at", observed_at),
        ("identifiers", identifiers),
        ("authenticated", authenticated),
        ("attributes", attributes),
        ("consent", consent),
        ("observation_id", observation_id),
    ):
        object.__setattr__(observation, name, value)
    return observation


@dataclass(frozen=True, slots=True)
class ParsedObservation:
    """``refusals``: the parts dropped; ``warnings``: parts stored but worth a look."""

    observation: Observation
    refusals: tuple[Refusal, ...] = ()
    warnings: tuple[Flag, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return ParsedObservation, (self.observation, self.refusals, self.warnings)


class ObservationParser:
    def __init__(self, settings: Settings, normalizer: IdentifierNormalizer | None = None) -> None:
        self._settings = settings
        self._normalizer = normalizer or IdentifierNormalizer(settings)
        self._purposes = frozenset(settings.purposes)
        self._max_proof_bytes = settings.max_proof_bytes

    @property
    def normalizer(self) -> IdentifierNormalizer:
        return self._normalizer

    def parse(self, data: object) -> ParsedObservation:
        if not isinstance(data, Mapping):
            raise _reject("observation", _kind(data), "observation.object", "must be a JSON object")
        source = self._source(data.get("source"))
        observed_at = self._observed_at(data.get("observed_at"))
        authenticated = data.get("authenticated", False)
        if not isinstance(authenticated, bool):
            raise _reject(
                "authenticated", authenticated, "authenticated.boolean", "must be true or false"
            )
        refusals: list[Refusal] = []
        warnings: list[Flag] = []
        region = self._region(source, data.get("attributes"))
        identifiers = self._identifiers(
            data.get("identifiers", _MISSING), refusals, warnings, region
        )
        attributes = self._attributes(data.get("attributes"), refusals, source)
        consent = self._consent(data.get("consent"), observed_at, identifiers, refusals, region)
        try:
            observation = Observation(
                source=source,
                observed_at=observed_at,
                identifiers=identifiers,
                authenticated=authenticated,
                attributes=attributes,
                consent=consent,
            )
        except UnicodeEncodeError:
            # Only a caller that skips ``identity.strict_json`` can pass a lone surrogate.
            raise _reject(
                "observation", "(text with a lone surrogate)", "observation.unicode", "not UTF-8"
            ) from None
        return ParsedObservation(observation, tuple(refusals), tuple(warnings))

    def _source(self, value: object) -> str:
        if value is None:
            raise _reject("source", value, "source.required", "every observation names its source")
        checked = source_name(value, "source", "source.format")
        if isinstance(checked, Refusal):
            raise ObservationRejected([checked])
        return checked

    def _observed_at(self, value: object) -> str:
        if value is None:
            raise _reject(
                "observed_at",
                value,
                "observed_at.required",
                "every observation says when it was made",
            )
        checked = data_time(value, "observed_at", "observed_at.iso8601", "observed_at.range")
        if isinstance(checked, Refusal):
            raise ObservationRejected([checked])
        if lies_ahead(checked):
            raise _reject(
                "observed_at", value, "observed_at.not_future", "lies more than a day in the future"
            )
        return checked

    def _region(self, source: str, attributes: object) -> str:
        """The country of local phone numbers: the observation's ``country`` attribute,
        else the source's ``phone_regions`` setting, else ``default_region``."""
        if isinstance(attributes, Mapping):
            country = attributes.get("country")
            if isinstance(country, str) and _COUNTRY.fullmatch(country.strip().upper()):
                return country.strip().upper()
        return self._settings.phone_region_of(source)

    def _identifiers(
        self, value: object, refusals: list[Refusal], warnings: list[Flag], region: str
    ) -> tuple[Identifier, ...]:
        if value is _MISSING:
            raise _reject(
                "identifiers",
                None,
                "identifiers.required",
                "every observation carries a list of identifiers",
            )
        if not isinstance(value, list):
            raise _reject("identifiers", _kind(value), "identifiers.list", "must be a JSON array")
        limit = self._settings.max_identifiers_per_observation
        if len(value) > limit:
            raise _reject(
                "identifiers",
                len(value),
                "identifiers.max_items",
                f"at most {limit} identifiers in one observation",
            )
        found: dict[str, Identifier] = {}
        for index, item in enumerate(value):
            where = f"identifiers[{index}]"
            if not isinstance(item, Mapping) or "type" not in item or "value" not in item:
                refusals.append(
                    Refusal(
                        where,
                        item,
                        "identifier.shape",
                        'must be an object {"type": ..., "value": ...}',
                    )
                )
                continue
            try:
                identifier = self._normalizer.normalize(item["type"], item["value"], where, region)
            except IdentifierRefused as e:
                refusals.extend(e.refusals)
                continue
            warnings.extend(
                Flag(f"{where}.value", identifier.value, rule, message)
                for rule, message in lookalike_warnings(identifier.value)
            )
            found[identifier.key] = identifier
        if not found:
            reasons = "; ".join(str(r) for r in refusals) or "the list is empty"
            raise ObservationRejected(
                [
                    Refusal(
                        "identifiers",
                        len(value),
                        "identifiers.one_valid",
                        f"no valid identifier left ({reasons})",
                    ),
                    *refusals,
                ]
            )
        return tuple(sorted(found.values()))

    def _attributes(self, value: object, refusals: list[Refusal], source: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            refusals.append(
                Refusal("attributes", _kind(value), "attributes.object", "must be a JSON object")
            )
            return {}
        limit = self._settings.max_attributes_per_observation
        if len(value) > limit:
            raise _reject(
                "attributes",
                len(value),
                "attributes.max_items",
                f"at most {limit} attributes in one observation",
            )
        attributes: dict[str, str] = {}
        today = datetime.now(UTC).date()
        for name, raw in value.items():
            if not _valid_attribute_name(name):
                refusals.append(
                    Refusal(
                        f"attributes.{name}",
                        name,
                        "attributes.name",
                        "names are lower_snake_case, at most 64 characters",
                    )
                )
                continue
            if raw is None or raw == "":
                continue
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                refusals.append(
                    Refusal(
                        f"attributes.{name}",
                        raw,
                        "attributes.scalar",
                        "must be a string or a number",
                    )
                )
                continue
            if isinstance(raw, float) and not math.isfinite(raw):
                refusals.append(
                    Refusal(
                        f"attributes.{name}",
                        str(raw),
                        "attributes.finite",
                        "must be a finite number",
                    )
                )
                continue
            if isinstance(raw, int) and raw.bit_length() > _MAX_INTEGER_BITS:
                # Checked before ``str``: Python refuses to write out a huge integer.
                refusals.append(
                    Refusal(
                        f"attributes.{name}",
                        f"an integer of {raw.bit_length():,} bits",
                        "attributes.text",
                        f"at most {_MAX_ATTRIBUTE_LENGTH} characters",
                    )
                )
                continue
            text = " ".join(str(raw).split())
            if len(text) > _MAX_ATTRIBUTE_LENGTH or _CONTROL.search(text):
                refusals.append(
                    Refusal(
                        f"attributes.{name}",
                        text[:64],
                        "attributes.text",
                        f"at most {_MAX_ATTRIBUTE_LENGTH} characters, no control characters",
                    )
                )
                continue
            checked = _check_attribute(name, text, today, self._settings.date_formats_of(source))
            if isinstance(checked, Refusal):
                refusals.append(checked)
            elif checked:
                attributes[name] = checked
        return attributes

    def _consent(
        self,
        value: object,
        observed_at: str,
        identifiers: tuple[Identifier, ...],
        refusals: list[Refusal],
        region: str,
    ) -> tuple[ConsentClaim, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            refusals.append(
                Refusal("consent", _kind(value), "consent.list", "must be a JSON array")
            )
            return ()
        limit = self._settings.max_consent_per_observation
        if len(value) > limit:
            raise _reject(
                "consent",
                len(value),
                "consent.max_items",
                f"at most {limit} consent statements in one observation",
            )
        keys = {i.key for i in identifiers}
        claims: list[ConsentClaim] = []
        for index, item in enumerate(value):
            where = f"consent[{index}]"
            if not isinstance(item, Mapping):
                refusals.append(Refusal(where, item, "consent.object", "must be a JSON object"))
                continue
            purpose = item.get("purpose")
            if not isinstance(purpose, str) or purpose not in self._purposes:
                refusals.append(
                    Refusal(
                        f"{where}.purpose",
                        purpose,
                        "consent.purpose",
                        f"known purposes: {', '.join(sorted(self._purposes))}",
                    )
                )
                continue
            try:
                status = ConsentStatus(str(item.get("status")))
            except ValueError:
                refusals.append(
                    Refusal(
                        f"{where}.status",
                        item.get("status"),
                        "consent.status",
                        "must be granted, denied or unknown",
                    )
                )
                continue
            at = observed_at
            if item.get("at") is not None:
                checked = data_time(item["at"], f"{where}.at", "consent.at", "consent.at_range")
                if isinstance(checked, Refusal):
                    refusals.append(checked)
                    continue
                if lies_ahead(checked):
                    refusals.append(dated_too_late(f"{where}.at", item["at"]))
                    continue
                at = checked
            proof = proof_json(item.get("proof", {}), f"{where}.proof", self._max_proof_bytes)
            if isinstance(proof, Refusal):
                refusals.append(proof)
                continue
            subject = item.get("subject")
            subject_key: str | None = None
            if subject is not None:
                if not isinstance(subject, Mapping):
                    refusals.append(
                        Refusal(
                            f"{where}.subject",
                            subject,
                            "consent.subject",
                            'must be {"type": ..., "value": ...} or absent',
                        )
                    )
                    continue
                try:
                    subject_key = self._normalizer.normalize(
                        subject.get("type"), subject.get("value"), f"{where}.subject", region
                    ).key
                except IdentifierRefused as e:
                    refusals.extend(e.refusals)
                    continue
                if subject_key not in keys:
                    refusals.append(
                        Refusal(
                            f"{where}.subject",
                            subject_key,
                            "consent.subject_observed",
                            "the subject must be one of this observation's identifiers",
                        )
                    )
                    continue
            claims.append(
                ConsentClaim(
                    subject_key,
                    purpose,
                    status,
                    at,
                    proof,
                )
            )
        return tuple(claims)


class _Missing:
    pass


_MISSING: Any = _Missing()


def _reject(field_name: str, value: object, rule: str, message: str) -> ObservationRejected:
    return ObservationRejected([Refusal(field_name, value, rule, message)])


def _kind(value: object) -> str:
    return type(value).__name__


def _valid_attribute_name(name: object) -> bool:
    return isinstance(name, str) and _matches_attribute_name(name)


# Memoized: a load repeats a few dozen names, so the pattern runs once per name.
@functools.lru_cache(maxsize=4096)
def _matches_attribute_name(name: str) -> bool:
    return _ATTRIBUTE_NAME.fullmatch(name) is not None


def _check_attribute(
    name: str, text: str, today: date, date_formats: tuple[str, ...]
) -> str | Refusal:
    if name == "date_of_birth":
        reading = read_date(text, date_formats, today)
        born = reading.value
        if born is None:
            return Refusal(
                "attributes.date_of_birth",
                text,
                f"attributes.date_of_birth.{reading.rule}",
                reading.message,
            )
        if not date(1900, 1, 1) <= born <= today:
            return Refusal(
                "attributes.date_of_birth",
                text,
                "attributes.date_of_birth.range",
                "must lie between 1900-01-01 and today",
            )
        return born.isoformat()
    if name == "country":
        code = text.upper()
        if not _COUNTRY.fullmatch(code):
            return Refusal(
                "attributes.country",
                text,
                "attributes.country.iso3166",
                "must be an ISO 3166 alpha-2 code such as US",
            )
        return code
    if normalize_attribute(name, text) == "":
        return Refusal(
            f"attributes.{name}",
            text,
            "attributes.nothing_to_compare",
            "has no letter or digit of any script (only punctuation or symbols)",
        )
    return text
