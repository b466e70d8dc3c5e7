"""Settings of the identity service, read from a TOML file and the environment.

Precedence: built-in defaults, then the TOML file named by ``IDGRAPH_CONFIG`` (or
``--config``), then ``IDGRAPH_*`` environment variables, then command-line flags.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import phonenumbers

from identity.access import Role
from identity.dates import DateFormatError, check_formats, effective_formats
from identity.errors import ConfigurationError
from identity.guards import GuardSettings
from matchers.fellegi_sunter import FellegiSunterModel

DEFAULT_BLOCKED_VALUES: Mapping[str, frozenset[str]] = {
    "email": frozenset(
        {
            "test@test.com",
            "noemail@none.com",
            "none@none.com",
            "no@email.com",
            "noemail@noemail.com",
            "null@null.com",
            "email@email.com",
            "example@example.com",
            "test@example.com",
            "a@a.com",
            "x@x.com",
            "unknown@unknown.com",
        }
    ),
    "phone": frozenset({"+15555555555", "+11111111111", "+12222222222", "+19999999999"}),
    "cookie": frozenset({"undefined", "null", "none", "0", "-", "(null)", "nan"}),
}

DEFAULT_PURPOSES: tuple[str, ...] = (
    "email",
    "sms",
    "push",
    "personalization",
    "analytics",
    "third_party_sharing",
)


SURVIVORSHIP_RULES = ("most_recent", "source_priority", "most_frequent")

DEFAULT_RATE_LIMITS: Mapping[str, float] = {
    Role.READER.value: 2000,
    Role.LOADER.value: 50,
    Role.STEWARD.value: 50,
    Role.PRIVACY.value: 50,
    Role.ADMIN.value: 200,
}
"""Requests a second per API key, by role: a reader key serves lookups for a whole calling
service; a loader's request carries up to a thousand observations; people click."""
DEFAULT_SOURCE_KEY = "default"
"""The key of ``date_formats`` for every source not named."""


@dataclass(frozen=True, slots=True)
class CustomType:
    """An identifier type declared in configuration: values must fully match ``pattern``
    (after case folding when ``casefold``) and be at most ``max_length`` characters."""

    name: str
    pattern: str
    casefold: bool = False
    max_length: int = 256


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    store: str = "embedded"
    default_region: str = "US"
    merge_threshold: float = 0.9
    authenticated_weight: float = 1.0
    unauthenticated_weight: float = 0.7
    unauthenticated_weight_by_source: Mapping[str, float] = field(default_factory=dict)
    blocked_values: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_BLOCKED_VALUES)
    )
    custom_types: tuple[CustomType, ...] = ()
    purposes: tuple[str, ...] = DEFAULT_PURPOSES
    max_identifiers_per_observation: int = 20
    max_consent_per_observation: int = 50
    max_attributes_per_observation: int = 64
    max_proof_bytes: int = 4096
    """Largest consent proof, in bytes of its canonical JSON: a proof names how consent
    was captured (form, document version, basis); the document itself belongs elsewhere."""
    max_value_length: int = 512
    batch_size: int = 10_000
    bulk_min_bytes: int = 64 << 20
    """``idgraph load`` takes the bulk path (``cli.bulk``) for a file of this size or more
    into an empty store; ``--bulk``/``--no-bulk`` decide instead."""
    memory_budget_mb: int = 4096
    """What a bulk load may hold in memory, all its processes together; its columns spill
    to disk beyond it."""
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    guards: GuardSettings = field(default_factory=GuardSettings)
    survivorship: Mapping[str, str] = field(default_factory=dict)
    """Per attribute: ``most_recent`` (the default), ``source_priority`` or ``most_frequent``."""
    source_priority: tuple[str, ...] = ()
    """Sources from most to least trusted, for ``source_priority`` attributes."""
    fuzzy_enabled: bool = True
    """Link records by person attributes (matchers/fuzzy.py) besides shared identifiers."""
    fuzzy_model: FellegiSunterModel | None = None
    """A match model fitted to the data (``idgraph fit-model``; the ``fuzzy_model`` setting
    names its JSON file); None: the shipped default model."""
    key_cache_seconds: float = 5.0
    """How long an API process trusts an API key it has read; a key revoked by another
    process (the CLI, another worker) stops working there within this time."""
    secret: str = ""
    """Key for profile IDs (and later tombstones). Empty: a random key kept in the store."""
    rate_limits: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    """Requests a second one API key may make, by the key's role, in one server process;
    0: no limit. A role not named has no limit."""
    rate_bursts: Mapping[str, float] = field(default_factory=dict)
    """Requests a key may make at once after a pause, by role; a role not named: one
    second's worth of its rate."""
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Source -> the formats its birth dates are written in (``identity.dates``); the key
    ``default`` for sources not named. ``YYYY-MM-DD`` is always understood."""
    phone_regions: Mapping[str, str] = field(default_factory=dict)
    """Source -> the country (ISO 3166 alpha-2) its local phone numbers belong to, for
    observations without a ``country`` attribute; else ``default_region``."""

    def date_formats_of(self, source: str) -> tuple[str, ...]:
        return effective_formats(
            self.date_formats.get(source) or self.date_formats.get(DEFAULT_SOURCE_KEY)
        )

    def phone_region_of(self, source: str) -> str:
        return self.phone_regions.get(source, self.default_region)

    def __post_init__(self) -> None:
        if not 0 < self.merge_threshold <= 1:
            raise ConfigurationError(
                f"merge_threshold must be in (0, 1], got {self.merge_threshold}"
            )
        for name, weight in {
            "authenticated_weight": self.authenticated_weight,
            "unauthenticated_weight": self.unauthenticated_weight,
            **{
                f"unauthenticated_weight_by_source.{k}": v
                for k, v in self.unauthenticated_weight_by_source.items()
            },
        }.items():
            if not 0 <= weight <= 1:
                raise ConfigurationError(f"{name} must be in [0, 1], got {weight}")
        if self.authenticated_weight < self.merge_threshold:
            raise ConfigurationError(
                "authenticated_weight must be at or above merge_threshold: a login joins"
            )
        for attribute, rule in self.survivorship.items():
            if rule not in SURVIVORSHIP_RULES:
                raise ConfigurationError(
                    f"survivorship.{attribute} = {rule!r}: one of {', '.join(SURVIVORSHIP_RULES)}"
                )
        if self.key_cache_seconds < 0:
            raise ConfigurationError(
                f"key_cache_seconds must be 0 or more, got {self.key_cache_seconds}"
            )
        self._check_rate_limits()
        for name in (
            "batch_size",
            "max_identifiers_per_observation",
            "max_value_length",
            "max_consent_per_observation",
            "max_attributes_per_observation",
            "max_proof_bytes",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be positive, got {getattr(self, name)}")
        for source, formats in self.date_formats.items():
            try:
                check_formats(formats)
            except DateFormatError as e:
                raise ConfigurationError(f"date_formats.{source}: {e}") from e
        for source, region in {
            "default_region": self.default_region,
            **{f"phone_regions.{k}": v for k, v in self.phone_regions.items()},
        }.items():
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ConfigurationError(
                    f"{source} = {region!r}: must be a region code phone numbers are read"
                    " in, upper-case ISO 3166 alpha-2 such as KR or US"
                )
        if self.memory_budget_mb < 256:
            raise ConfigurationError(
                f"memory_budget_mb must be 256 or more, got {self.memory_budget_mb}"
            )
        for custom in self.custom_types:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", custom.name):
                raise ConfigurationError(
                    f"custom type name {custom.name!r} must match [a-z][a-z0-9_]*"
                )
            try:
                re.compile(custom.pattern)
            except re.error as e:
                raise ConfigurationError(
                    f"custom type {custom.name!r}: pattern does not compile: {e}"
                ) from e

    def _check_rate_limits(self) -> None:
        roles = {r.value for r in Role}
        for name, table, least in (
            ("rate_limits", self.rate_limits, 0),
            ("rate_bursts", self.rate_bursts, 1),
        ):
            for role, value in table.items():
                if role not in roles:
                    raise ConfigurationError(
                        f"{name}.{role}: not a role; one of {', '.join(sorted(roles))}"
                    )
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigurationError(f"{name}.{role} must be a number, got {value!r}")
                if not math.isfinite(value) or value < least:
                    raise ConfigurationError(f"{name}.{role} must be {least} or more, got {value}")

    def rate_limit(self, role: str) -> tuple[float, float]:
        """A key's rate (requests a second, 0: no limit) and burst, by its role."""
        rate = self.rate_limits.get(role, 0)
        return rate, self.rate_bursts.get(role, max(1.0, rate))

    def weight_for_unauthenticated(self, source: str) -> float:
        return self.unauthenticated_weight_by_source.get(source, self.unauthenticated_weight)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_boolean(value: object) -> bool:
    return isinstance(value, bool)


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _list_of(item: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, list) and all(item(i) for i in value)


def _table_of(item: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, dict) and all(item(v) for v in value.values())


Shape = tuple[Callable[[object], bool], str]
"""A check of a TOML value and what it must be, for the error message."""

_NUMBER: Shape = (_is_number, "a number")
_INTEGER: Shape = (_is_integer, "an integer")
_TEXT: Shape = (_is_text, "a string")
_TEXT_LIST: Shape = (_list_of(_is_text), "a list of strings")
_INTEGER_TABLE: Shape = (_table_of(_is_integer), "a table of integers")

TOML_SHAPES: Mapping[str, Shape] = {
    "data_dir": _TEXT,
    "store": _TEXT,
    "default_region": _TEXT,
    "merge_threshold": _NUMBER,
    "authenticated_weight": _NUMBER,
    "unauthenticated_weight": _NUMBER,
    "unauthenticated_weight_by_source": (_table_of(_is_number), "a table of numbers"),
    "blocked_values": (_table_of(_list_of(_is_text)), "a table of lists of strings"),
    "custom_types": (_list_of(_is_table), "a list of tables"),
    "purposes": _TEXT_LIST,
    "max_identifiers_per_observation": _INTEGER,
    "max_value_length": _INTEGER,
    "max_consent_per_observation": _INTEGER,
    "max_attributes_per_observation": _INTEGER,
    "max_proof_bytes": _INTEGER,
    "batch_size": _INTEGER,
    "bulk_min_bytes": _INTEGER,
    "memory_budget_mb": _INTEGER,
    "neo4j_uri": _TEXT,
    "neo4j_user": _TEXT,
    "neo4j_password": _TEXT,
    "neo4j_database": _TEXT,
    "guards": (_is_table, "a table"),
    "survivorship": (_table_of(_is_text), "a table of strings"),
    "source_priority": _TEXT_LIST,
    "fuzzy_enabled": (_is_boolean, "true or false"),
    "fuzzy_model": (_is_text, "a string (the path of a model file)"),
    "key_cache_seconds": _NUMBER,
    "secret": _TEXT,
    "rate_limits": (_table_of(_is_number), "a table of requests per second by role"),
    "rate_bursts": (_table_of(_is_number), "a table of requests by role"),
    "date_formats": (_table_of(_list_of(_is_text)), "a table of lists of formats by source"),
    "phone_regions": (_table_of(_is_text), "a table of region codes by source"),
}
"""What each setting must be in the TOML file; a key not here is refused."""

_GUARD_SHAPES: Mapping[str, Shape] = {
    "type_limits": _INTEGER_TABLE,
    "per_source_limits": _INTEGER_TABLE,
    "frequency_cap": _INTEGER,
    "frequency_cap_types": _TEXT_LIST,
}

_CUSTOM_TYPE_SHAPES: Mapping[str, Shape] = {
    "name": _TEXT,
    "pattern": _TEXT,
    "casefold": (_is_boolean, "true or false"),
    "max_length": _INTEGER,
}

_ENV_FIELDS: Mapping[str, tuple[str, Callable[[str], object], str]] = {
    "IDGRAPH_DATA_DIR": ("data_dir", Path, "a directory"),
    "IDGRAPH_STORE": ("store", str, "a store name"),
    "IDGRAPH_DEFAULT_REGION": ("default_region", str, "a region code"),
    "IDGRAPH_MERGE_THRESHOLD": ("merge_threshold", float, "a number"),
    "IDGRAPH_BATCH_SIZE": ("batch_size", int, "an integer"),
    "IDGRAPH_BULK_MIN_BYTES": ("bulk_min_bytes", int, "a number of bytes"),
    "IDGRAPH_MEMORY_BUDGET_MB": ("memory_budget_mb", int, "a number of MiB"),
    "NEO4J_URI": ("neo4j_uri", str, "a Bolt URI"),
    "NEO4J_USER": ("neo4j_user", str, "a user name"),
    "NEO4J_PASSWORD": ("neo4j_password", str, "a password"),
    "NEO4J_DATABASE": ("neo4j_database", str, "a database name"),
    "IDGRAPH_SECRET": ("secret", str, "a key"),
    "IDGRAPH_FUZZY_MODEL": ("fuzzy_model", Path, "the path of a model file"),
}
"""The environment variables ``load_settings`` reads: variable -> (setting, conversion,
what the value must be)."""


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
) -> Settings:
    """The settings, layered: built-in defaults, then the TOML file (``config_file``, else
    ``IDGRAPH_CONFIG``), then the environment variables of ``_ENV_FIELDS``, then
    ``flags`` (command-line values by setting name; None means not given). Each layer
    overrides the one below; the result is checked once, whole, so a bad value in a lower
    layer that a higher one overrides is no error. Raises ``ConfigurationError`` naming
    the setting, the value and what it must be."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (Path(env["IDGRAPH_CONFIG"]) if env.get("IDGRAPH_CONFIG") else None)
    if path is not None:
        values.update(_read_toml(path))
    for variable, (name, convert, expected) in _ENV_FIELDS.items():
        if env.get(variable):
            try:
                values[name] = convert(env[variable])
            except ValueError as e:
                raise ConfigurationError(f"{variable}={env[variable]!r}: must be {expected}") from e
    values.update({name: value for name, value in (flags or {}).items() if value is not None})
    if values.get("fuzzy_model") is not None:
        values["fuzzy_model"] = load_fuzzy_model(Path(values["fuzzy_model"]))
    try:
        return Settings(**values)
    except TypeError as e:
        raise ConfigurationError(str(e)) from e


def load_fuzzy_model(path: Path) -> FellegiSunterModel:
    try:
        return FellegiSunterModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigurationError(f"fuzzy_model {path}: not a model file ({e})") from e


def _check_shapes(where: str, table: Mapping[str, Any], shapes: Mapping[str, Shape]) -> None:
    unknown = sorted(set(table) - set(shapes))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown settings {unknown}; known: {', '.join(sorted(shapes))}"
        )
    for name, value in table.items():
        check, expected = shapes[name]
        if not check(value):
            raise ConfigurationError(f"{where}: {name} = {value!r}: must be {expected}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigurationError(f"config file {path}: {e}") from e
    where = f"config file {path}"
    _check_shapes(where, raw, TOML_SHAPES)
    values: dict[str, Any] = dict(raw)
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])
    if "blocked_values" in values:
        merged = {k: set(v) for k, v in DEFAULT_BLOCKED_VALUES.items()}
        for kind, items in values["blocked_values"].items():
            merged.setdefault(kind, set()).update(str(i).lower() for i in items)
        values["blocked_values"] = {k: frozenset(v) for k, v in merged.items()}
    if "custom_types" in values:
        for i, custom in enumerate(values["custom_types"]):
            _check_shapes(f"{where}: custom_types[{i}]", custom, _CUSTOM_TYPE_SHAPES)
            if not {"name", "pattern"} <= set(custom):
                raise ConfigurationError(
                    f"{where}: custom_types[{i}] needs a name and a pattern, got {custom!r}"
                )
        values["custom_types"] = tuple(CustomType(**c) for c in values["custom_types"])
    if "guards" in values:
        guards = dict(values["guards"])
        _check_shapes(f"{where}: guards", guards, _GUARD_SHAPES)
        if "frequency_cap_types" in guards:
            guards["frequency_cap_types"] = tuple(guards["frequency_cap_types"])
        values["guards"] = GuardSettings(**guards)
    for name in ("rate_limits", "rate_bursts"):
        if name in values and not isinstance(values[name], dict):
            raise ConfigurationError(f"config file {path}: {name} must be a table by role")
    if "rate_limits" in values:
        # The roles named replace their defaults; the others keep theirs.
        values["rate_limits"] = {**DEFAULT_RATE_LIMITS, **values["rate_limits"]}
    if "source_priority" in values:
        values["source_priority"] = tuple(values["source_priority"])
    if "purposes" in values:
        values["purposes"] = tuple(values["purposes"])
    if "date_formats" in values:
        values["date_formats"] = {
            str(k).lower(): tuple(str(f) for f in v) for k, v in values["date_formats"].items()
        }
    if "phone_regions" in values:
        values["phone_regions"] = {
            str(k).lower(): str(v).upper() for k, v in values["phone_regions"].items()
        }
    return values
