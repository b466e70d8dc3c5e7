"""Settings of the identity service, read from a TOML file and the environment.

Precedence: built-in defaults, then the TOML file named by ``IDGRAPH_CONFIG`` (or
``--config``), then ``IDGRAPH_*`` environment variables, then command-line flags.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
        if self.batch_size < 1:
            raise ConfigurationError(f"batch_size must be positive, got {self.batch_size}")
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

    def weight_for_unauthenticated(self, source: str) -> float:
        return self.unauthenticated_weight_by_source.get(source, self.unauthenticated_weight)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_ENV_FIELDS: Mapping[str, tuple[str, type]] = {
    "IDGRAPH_DATA_DIR": ("data_dir", Path),
    "IDGRAPH_STORE": ("store", str),
    "IDGRAPH_DEFAULT_REGION": ("default_region", str),
    "IDGRAPH_MERGE_THRESHOLD": ("merge_threshold", float),
    "IDGRAPH_BATCH_SIZE": ("batch_size", int),
    "IDGRAPH_BULK_MIN_BYTES": ("bulk_min_bytes", int),
    "IDGRAPH_MEMORY_BUDGET_MB": ("memory_budget_mb", int),
    "NEO4J_URI": ("neo4j_uri", str),
    "NEO4J_USER": ("neo4j_user", str),
    "NEO4J_PASSWORD": ("neo4j_password", str),
    "NEO4J_DATABASE": ("neo4j_database", str),
    "IDGRAPH_SECRET": ("secret", str),
    "IDGRAPH_FUZZY_MODEL": ("fuzzy_model", Path),
}


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (Path(env["IDGRAPH_CONFIG"]) if env.get("IDGRAPH_CONFIG") else None)
    if path is not None:
        values.update(_read_toml(path))
    for variable, (name, kind) in _ENV_FIELDS.items():
        if env.get(variable):
            try:
                values[name] = kind(env[variable])
            except ValueError as e:
                raise ConfigurationError(f"{variable}={env[variable]!r}: {e}") from e
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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigurationError(f"config file {path}: {e}") from e
    known = set(Settings.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ConfigurationError(f"config file {path}: unknown settings {sorted(unknown)}")
    values: dict[str, Any] = dict(raw)
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])
    if "blocked_values" in values:
        merged = {k: set(v) for k, v in DEFAULT_BLOCKED_VALUES.items()}
        for kind, items in values["blocked_values"].items():
            merged.setdefault(kind, set()).update(str(i).lower() for i in items)
        values["blocked_values"] = {k: frozenset(v) for k, v in merged.items()}
    if "custom_types" in values:
        values["custom_types"] = tuple(CustomType(**c) for c in values["custom_types"])
    if "guards" in values:
        guards = dict(values["guards"])
        if "frequency_cap_types" in guards:
            guards["frequency_cap_types"] = tuple(guards["frequency_cap_types"])
        try:
            values["guards"] = GuardSettings(**guards)
        except TypeError as e:
            raise ConfigurationError(f"config file {path}: guards: {e}") from e
    if "source_priority" in values:
        values["source_priority"] = tuple(values["source_priority"])
    if "purposes" in values:
        values["purposes"] = tuple(values["purposes"])
    return values
