"""Resolution quality on a generated world with known truth, for three systems in one run.

    .venv/bin/python -m bench.quality [--people 1000] [--seed 11] [--batch-size 1000]
                                      [--world us|korean|both] [--febrl]

Two worlds: US customers (below) and Korean customers (``bench.korean_world``: Hangul
names with letter-level typos and spacing, the same people romanized, namesakes drawn
with the real surname frequencies, households sharing a landline and an apartment,
decoys born on one day in buildings of one number in different cities, phones in every
local form, road and lot addresses, the member export as a CP949 CSV). ``--febrl`` runs
``bench.febrl`` (without Splink) after them, so every figure comes from one run.
For the Korean world the table also counts decoy pairs found in one profile.

The US world is built to contain what ruins identity graphs:

- households of two to four people who share a landline (given in each member's CRM
  record) and an address;
- public computers (a library, an internet cafe) whose cookie many people log in from;
- junk in CRM exports: values the parser refuses (``test@test.com``, ``000-000-0000``,
  ``n/a``) and values it cannot know are junk (the shop's own phone number typed in for
  customers without one, ``noreply@`` of the shop);
- namesakes: people with the same first and last name but another birth date and city;
- format noise on phones and emails (case, spaces, punctuation, country prefix);
- person attributes (first and last name, date of birth, address, city, postcode) with
  realistic typos (a dropped, doubled, swapped or mistyped letter, a transposed birth
  date, a missing postcode);
- sign-ups that share no identifier with the rest of the person (a new email on a
  newsletter form) but carry their attributes: only the fuzzy matcher can join them.

Every observation belongs to one person, so the truth of an identifier is the set of
people whose observations hold it. Identifiers of one person are scored with pairwise
precision, recall and F1 (a pair is two identifiers in one profile); identifiers of
several people (landlines, shared cookies, junk) are *traps*: the run counts those whose
profile holds identifiers of two or more people ("trap joins two people").

Systems, on the same parsed observations:

- ``plain union``: every co-occurrence joins (networkx connected components), what a
  graph without guards does;
- ``idgraph``: the real ingest into an embedded store in a temporary directory, with
  the default settings and ``fuzzy_enabled=False``;
- ``idgraph+fuzzy``: the same with ``fuzzy_enabled=True`` (person records matched by
  their attributes through the blocking index), with the shipped model;
- ``idgraph+fitted``: the same with the model ``idgraph fit-model`` fits to the world's
  own person attributes (no truth read), as a data team would run it.

Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import itertools
import random
import string
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import networkx as nx

from api.bootstrap import build_service
from bench.common import BENCH_SECRET
from bench.generate import FIRST, LAST
from bench.korean_world import EXAMPLE_MAP, KoreanWorld, build_korean_world, write_member_csv
from bench.korean_world import SETTINGS as KOREAN_SETTINGS
from bench.results import run_recorded
from cli.column_map import ColumnMap
from cli.encodings import check_encoding
from cli.loading import FileWarning, parsed_lines
from identity.fuzzy_linking import anchor_key
from identity.observation import Observation
from identity.service import IdentityService
from identity.settings import Settings
from matchers.attributes import PersonRecord
from matchers.fellegi_sunter import FellegiSunterModel, estimate_model

PLACES = [
    ("Boston", "02108"),
    ("Cambridge", "02139"),
    ("Somerville", "02143"),
    ("Quincy", "02169"),
    ("Newton", "02458"),
    ("Salem", "01970"),
    ("Lowell", "01852"),
    ("Worcester", "01608"),
]
STREETS = ["Main St", "Elm Street", "Oak Ave", "Maple Road", "Washington St", "Park Lane"]
SHOP_PHONE = "617-555-0100"
SHOP_NOREPLY = "noreply@shop.example.com"
REFUSED_JUNK = [("email", "test@test.com"), ("phone", "000-000-0000"), ("email", "n/a")]
KEYBOARD = dict(zip(string.ascii_lowercase, "bcdefghijklmnopqrstuvwxyza", strict=True))
"""A mistyped letter: the next one in the alphabet (enough to be a typo, deterministic)."""


@dataclass
class Person:
    number: int
    first: str
    last: str
    born: date
    address: str
    city: str
    postcode: str
    household: int
    emails: list[str]
    mobile: str
    customer_id: str
    cookies: list[str]
    devices: list[str]
    landline: str = ""
    newsletter_email: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class World:
    observations: list[tuple[int, dict[str, Any]]]
    """(person number, raw observation) in load order."""
    people: int


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    c = text[i].lower()
    return text[:i] + KEYBOARD.get(c, c) + text[i + 1 :]


def noisy_email(rng: random.Random, email: str) -> str:
    return rng.choice([email, email.upper(), f"  {email} ", email.capitalize()])


def noisy_phone(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice([f"({a}) {b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}", f"1{digits}"])


def phone_digits(rng: random.Random) -> str:
    area = rng.choice(["617", "781", "508", "978"])
    return f"{area}{rng.randrange(201, 999)}{rng.randrange(10000):04d}"


def attributes_of(rng: random.Random, person: Person, noise: float) -> dict[str, str]:
    """The person's attributes as one source typed them: each field may carry a typo."""

    def maybe(value: str) -> str:
        return typo(rng, value) if rng.random() < noise else value

    born = person.born
    if rng.random() < noise / 3 and born.day <= 12 and born.day != born.month:
        born = date(born.year, born.day, born.month)  # day and month swapped
    result = {
        "first_name": maybe(person.first),
        "last_name": maybe(person.last),
        "date_of_birth": born.isoformat(),
        "address": maybe(person.address),
        "city": maybe(person.city),
    }
    if rng.random() > noise / 2:
        result["postcode"] = person.postcode
    return result


def random_ids(rng: random.Random, count: int, length: int) -> list[str]:
    """Cookie values (``length`` hex digits) or device UUIDs (``length`` 0)."""
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(count)]
    return [u.hex[:length] if length else str(u) for u in ids]


def make_people(rng: random.Random, count: int) -> list[Person]:
    people: list[Person] = []
    household = 0
    while len(people) < count:
        size = rng.choice([1, 1, 1, 1, 2, 2, 3, 4])
        city, postcode = rng.choice(PLACES)
        address = f"{rng.randrange(1, 400)} {rng.choice(STREETS)}"
        last = rng.choice(LAST)
        landline = phone_digits(rng) if size > 1 else ""
        for _ in range(size):
            n = len(people)
            first = rng.choice(FIRST)
            if people and rng.random() < 0.08:
                # a namesake: the same name as someone else, another birth date and city
                twin = rng.choice(people)
                first, last_name = twin.first, twin.last
            else:
                last_name = last if size > 1 else rng.choice(LAST)
            user = f"{first}.{last_name}{n}".lower().replace("ü", "u")
            newsletter = f"{first[0]}{last_name}.{n}@newsletter.example.net".lower()
            people.append(
                Person(
                    number=n,
                    first=first,
                    last=last_name,
                    born=date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 60)),
                    address=address,
                    city=city,
                    postcode=postcode,
                    household=household,
                    emails=[f"{user}@example.com"]
                    + ([f"{first.lower()}{n}@mail.example.org"] if rng.random() < 0.4 else []),
                    mobile=phone_digits(rng),
                    customer_id=f"crm/C{n:07d}",
                    cookies=random_ids(rng, rng.randint(1, 3), 20),
                    devices=random_ids(rng, rng.randint(0, 2), 0),
                    landline=landline,
                    newsletter_email=newsletter if rng.random() < 0.25 else "",
                )
            )
            if len(people) == count:
                break
        household += 1
    return people


def build_world(people_count: int, seed: int) -> World:
    rng = random.Random(seed)
    people = make_people(rng, people_count)
    public_cookies = [f"public-pc-{i}" for i in range(max(2, people_count // 150))]
    observations: list[tuple[int, dict[str, Any]]] = []

    def at() -> str:
        moment = date(2025, 1, 1) + timedelta(days=rng.randrange(360))
        return f"{moment.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"

    def ident(kind: str, value: str) -> dict[str, str]:
        return {"type": kind, "value": value}

    for p in people:
        crm: list[dict[str, str]] = [ident("customer_id", p.customer_id)]
        junk = rng.random()
        if junk < 0.04:
            crm.append(ident(*rng.choice(REFUSED_JUNK)))
        elif junk < 0.07:
            crm.append(ident("email", SHOP_NOREPLY))
        else:
            crm.append(ident("email", noisy_email(rng, p.emails[0])))
        phone = p.landline or p.mobile
        if rng.random() < 0.05:
            crm.append(ident("phone", SHOP_PHONE))
        else:
            crm.append(ident("phone", noisy_phone(rng, phone)))
        observations.append(
            (
                p.number,
                {
                    "source": "crm",
                    "authenticated": True,
                    "identifiers": crm,
                    "attributes": attributes_of(rng, p, 0.05),
                },
            )
        )
        if p.landline and rng.random() < 0.7:
            observations.append(
                (
                    p.number,
                    {
                        "source": "shop",
                        "authenticated": True,
                        "identifiers": [
                            ident("phone", noisy_phone(rng, p.mobile)),
                            ident("email", noisy_email(rng, p.emails[-1])),
                        ],
                        "attributes": attributes_of(rng, p, 0.15),
                    },
                )
            )
        for cookie in p.cookies:
            observations.append(
                (
                    p.number,
                    {
                        "source": "web",
                        "authenticated": True,
                        "identifiers": [
                            ident("cookie", cookie),
                            ident("email", noisy_email(rng, rng.choice(p.emails))),
                        ],
                    },
                )
            )
        for device in p.devices:
            observations.append(
                (
                    p.number,
                    {
                        "source": "app",
                        "authenticated": True,
                        "identifiers": [
                            ident("device", device.upper()),
                            ident("customer_id", p.customer_id),
                        ],
                    },
                )
            )
            if p.cookies and rng.random() < 0.5:
                # a web log line: cookie and device seen together, not logged in
                observations.append(
                    (
                        p.number,
                        {
                            "source": "web",
                            "authenticated": False,
                            "identifiers": [
                                ident("cookie", rng.choice(p.cookies)),
                                ident("device", device),
                            ],
                        },
                    )
                )
        if rng.random() < 0.12:
            observations.append(
                (
                    p.number,
                    {
                        "source": "web",
                        "authenticated": True,
                        "identifiers": [
                            ident("cookie", rng.choice(public_cookies)),
                            ident("email", noisy_email(rng, p.emails[0])),
                        ],
                    },
                )
            )
        if p.newsletter_email:
            observations.append(
                (
                    p.number,
                    {
                        "source": "newsletter",
                        "authenticated": False,
                        "identifiers": [ident("email", p.newsletter_email)],
                        "attributes": attributes_of(rng, p, 0.2),
                    },
                )
            )
    for _, obs in observations:
        obs["observed_at"] = at()
    rng.shuffle(observations)
    return World(observations, len(people))


@dataclass(slots=True)
class Truth:
    owners: dict[str, set[int]]

    @property
    def traps(self) -> set[str]:
        return {k for k, who in self.owners.items() if len(who) > 1}

    def owner(self, key: str) -> int | None:
        who = self.owners.get(key)
        return next(iter(who)) if who and len(who) == 1 else None


def parse_world(service: IdentityService, world: World) -> tuple[list[Observation], Truth]:
    parsed: list[Observation] = []
    owners: dict[str, set[int]] = defaultdict(set)
    for person, raw in world.observations:
        result = service.parse(raw)
        parsed.append(result.observation)
        for identifier in result.observation.identifiers:
            owners[identifier.key].add(person)
    return parsed, Truth(dict(owners))


@dataclass(slots=True)
class Scores:
    system: str
    precision: float
    recall: float
    f1: float
    profiles: int
    largest: int
    most_people: int
    trap_joins: int
    traps: int
    seconds: float


def score(system: str, clusters: Iterable[Sequence[str]], truth: Truth, seconds: float) -> Scores:
    predicted = true_positive = 0
    per_person: Counter[int] = Counter()
    largest = most_people = trap_joins = profiles = 0
    traps = truth.traps
    for cluster in clusters:
        profiles += 1
        largest = max(largest, len(cluster))
        owned = Counter(o for k in cluster if (o := truth.owner(k)) is not None)
        n = sum(owned.values())
        predicted += n * (n - 1) // 2
        true_positive += sum(c * (c - 1) // 2 for c in owned.values())
        per_person.update(owned)
        most_people = max(most_people, len(owned))
        if len(owned) > 1:
            trap_joins += sum(1 for k in cluster if k in traps)
    actual = sum(c * (c - 1) // 2 for c in per_person.values())
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        system,
        precision,
        recall,
        f1,
        profiles,
        largest,
        most_people,
        trap_joins,
        len(traps),
        seconds,
    )


def plain_union(observations: Sequence[Observation]) -> list[list[str]]:
    graph = nx.Graph()
    for obs in observations:
        keys = [i.key for i in obs.identifiers]
        graph.add_nodes_from(keys)
        graph.add_edges_from(itertools.pairwise(keys))
    return [sorted(c) for c in nx.connected_components(graph)]


def run_idgraph(
    observations: Sequence[Observation], fuzzy: bool, batch_size: int, **settings_of: Any
) -> tuple[list[list[str]], float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data", secret=BENCH_SECRET, fuzzy_enabled=fuzzy, **settings_of
        )
        service = build_service(settings)
        try:
            started = time.perf_counter()
            for start in range(0, len(observations), batch_size):
                service.ingest(observations[start : start + batch_size])
            seconds = time.perf_counter() - started
            clusters = [p.identifiers for p in service.iter_profiles()]
            generic = service.store.read(
                lambda tx: sum(1 for i in tx.identifier_page(None, 10**9) if i.generic)
            )
        finally:
            service.store.close()
    return clusters, seconds, generic


def parse_korean_world(world: KoreanWorld) -> tuple[list[Observation], Truth]:
    """The member export read as ``idgraph load --encoding cp949 --columns
    examples/korean-columns.toml`` reads it, then the other sources' observations."""
    parsed: list[Observation] = []
    owners: dict[str, set[int]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as tmp:
        service = build_service(
            Settings(data_dir=Path(tmp) / "data", secret=BENCH_SECRET, **KOREAN_SETTINGS)
        )
        try:
            path = write_member_csv(world, Path(tmp) / "members.csv")
            columns = ColumnMap.read(EXAMPLE_MAP)
            lines = parsed_lines(service, path, "csv", check_encoding(path, "cp949"), columns)
            rows = iter(world.csv_rows)
            for line in lines:
                if isinstance(line, FileWarning):
                    continue
                person, _ = next(rows)
                if line.parsed is not None:
                    parsed.append(line.parsed.observation)
                    for identifier in line.parsed.observation.identifiers:
                        owners[identifier.key].add(person)
            for person, raw in world.observations:
                result = service.parse(raw)
                parsed.append(result.observation)
                for identifier in result.observation.identifiers:
                    owners[identifier.key].add(person)
        finally:
            service.store.close()
    return parsed, Truth(dict(owners))


def decoys_joined(
    clusters: Iterable[Sequence[str]], truth: Truth, decoys: Sequence[tuple[int, int]]
) -> int:
    """Pairs of people sharing only a birth date and a building number found in one
    profile."""
    together: set[tuple[int, int]] = set()
    for cluster in clusters:
        owned = sorted({o for k in cluster if (o := truth.owner(k)) is not None})
        together.update(itertools.combinations(owned, 2))
    return sum(1 for a, b in decoys if (min(a, b), max(a, b)) in together)


def run_world(
    name: str,
    observations: Sequence[Observation],
    truth: Truth,
    batch_size: int,
    decoys: Sequence[tuple[int, int]] = (),
    **settings_of: Any,
) -> list[tuple[str, Scores, int, str]]:
    started = time.perf_counter()
    union = score("plain union", plain_union(observations), truth, 0.0)
    union.seconds = time.perf_counter() - started
    union_decoys = decoys_joined(plain_union(observations), truth, decoys)
    results = [(name, union, 0, f"{union_decoys}" if decoys else "-")]
    systems: list[tuple[str, bool, dict[str, Any]]] = [
        ("idgraph", False, {}),
        ("idgraph+fuzzy", True, {}),
        ("idgraph+fitted", True, {"fuzzy_model": fitted_model(observations)}),
    ]
    for system, fuzzy, extra in systems:
        clusters, seconds, generic = run_idgraph(
            observations, fuzzy, batch_size, **settings_of, **extra
        )
        joined = f"{decoys_joined(clusters, truth, decoys)}" if decoys else "-"
        results.append((name, score(system, clusters, truth, seconds), generic, joined))
    return results


def fitted_model(observations: Sequence[Observation]) -> FellegiSunterModel:
    """The model ``idgraph fit-model`` fits from these observations' person attributes
    (no truth is read)."""
    records: dict[tuple[str, str], PersonRecord] = {}
    for obs in observations:
        if obs.attributes:
            record = PersonRecord(anchor_key(obs), obs.attributes)
            records[(record.key, repr(sorted(record.normalized.items())))] = record
    return estimate_model(list(records.values())).model


def print_table(results: Sequence[tuple[str, Scores, int, str]]) -> None:
    print(
        f"{'world':<8} {'system':<14} {'precision':>9} {'recall':>7} {'F1':>6} {'profiles':>8}"
        f" {'largest':>7} {'most people':>11} {'trap joins 2+':>13} {'generic':>7}"
        f" {'decoys joined':>13} {'seconds':>7}"
    )
    for world, r, generic, decoys in results:
        print(
            f"{world:<8} {r.system:<14} {r.precision:>9.4f} {r.recall:>7.4f} {r.f1:>6.4f}"
            f" {r.profiles:>8,} {r.largest:>7,} {r.most_people:>11,} {r.trap_joins:>6,} of"
            f" {r.traps:<4,} {generic:>7,} {decoys:>13} {r.seconds:>7.1f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--world",
        choices=("us", "korean", "both"),
        default="both",
        help="the generated world(s): US customers, Korean customers (bench.korean_world)",
    )
    parser.add_argument(
        "--febrl",
        action="store_true",
        help="also FEBRL3 and FEBRL4 through the real ingest (bench.febrl, needs the bench"
        " extra), printed in the same run",
    )
    args = parser.parse_args(argv)

    results: list[tuple[str, Scores, int, str]] = []
    if args.world in ("us", "both"):
        world = build_world(args.people, args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            parser_service = build_service(
                Settings(data_dir=Path(tmp) / "data", secret=BENCH_SECRET)
            )
            try:
                observations, truth = parse_world(parser_service, world)
            finally:
                parser_service.store.close()
        print(
            f"us world: {world.people:,} people, {len(observations):,} observations,"
            f" {len(truth.owners):,} identifiers, {len(truth.traps):,} shared by several"
            f" people (seed {args.seed})"
        )
        results += run_world("us", observations, truth, args.batch_size)
    if args.world in ("korean", "both"):
        korean = build_korean_world(args.people, args.seed)
        observations, truth = parse_korean_world(korean)
        print(
            f"korean world: {korean.people:,} people, {len(observations):,} observations"
            f" ({len(korean.csv_rows):,} CP949 CSV rows), {len(truth.owners):,} identifiers,"
            f" {len(truth.traps):,} shared by several people, {len(korean.decoys):,} decoy"
            f" pairs (seed {args.seed})"
        )
        results += run_world(
            "korean", observations, truth, args.batch_size, korean.decoys, **KOREAN_SETTINGS
        )
    print_table(results)
    if args.febrl:
        from bench import febrl

        febrl.main(["--no-splink"])
    return 0


if __name__ == "__main__":
    raise SystemExit(run_recorded("quality", main))
