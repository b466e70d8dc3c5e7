"""Generate observations of a synthetic population with known truth.

Each person has a CRM record (customer ID, email, phone, name, birth date, address),
some web sessions (cookie, sometimes a login with the email), app events (device ID with
a login), and a social handle seen with an email. Raw values carry format noise that
normalization must undo (case, spaces, phone punctuation, ``@`` on handles).

    python -m bench.generate --people 1000 --out demo.ndjson [--truth truth.json] [--seed 7]
                             [--names few|realistic] [--workers N]

Names: ``few`` draws from the short lists below (the default below 100,000 people, the
world the earlier figures were made on); ``realistic`` (the default from 100,000 people)
draws first names and surnames by frequency, as in a real population: a few common
surnames are shared by many people (the commonest by about one person in a hundred) and
a long tail is rare, and postcodes come from thousands of places of unequal size.

From 100,000 people the world is written by ``write_large_world``: people in chunks
generated in worker processes (each chunk seeded from the seed and its number), the
observations spread over bucket files at random and each bucket shuffled, so ten million
observations take minutes and memory stays small. It has the same kinds of observation
and noise as ``generate``, not the same draws.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.names import Names

FIRST = [
    "Ann",
    "Bob",
    "Chen",
    "Dana",
    "Eve",
    "Farid",
    "Gita",
    "Hugo",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Mia",
    "Noor",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Vic",
]
LAST = [
    "Smith",
    "Jones",
    "Garcia",
    "Müller",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Rossi",
    "Silva",
    "Tanaka",
    "Dubois",
    "Novak",
    "Larsen",
    "Haddad",
    "Ivanova",
    "Brown",
]
CITIES = [
    ("New York", "10001"),
    ("Boston", "02108"),
    ("Chicago", "60601"),
    ("Austin", "73301"),
    ("Denver", "80202"),
    ("Seattle", "98101"),
]
AREA_CODES = ["212", "617", "312", "512", "303", "206", "415", "646"]


@dataclass
class Person:
    number: int
    first: str
    last: str
    born: str
    city: str
    postcode: str
    emails: list[str]
    phone: str
    customer_id: str
    cookies: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    handle: str = ""


def make_person(rng: random.Random, number: int, names: Names | None = None) -> Person:
    if names is None:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, postcode = rng.choice(CITIES)
    else:
        first, last, (city, postcode) = names.draw(rng)
    born = datetime(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    user = f"{first}.{last}{number}".lower().replace("ü", "u")
    emails = [f"{user}@example.com"]
    if rng.random() < 0.4:
        emails.append(f"{first.lower()}{number}@mail.example.org")
    phone = f"{rng.choice(AREA_CODES)}{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"
    return Person(
        number=number,
        first=first,
        last=last,
        born=born.date().isoformat(),
        city=city,
        postcode=postcode,
        emails=emails,
        phone=phone,
        customer_id=f"crm/C{number:07d}",
        cookies=[uuid.UUID(int=rng.getrandbits(128)).hex[:20] for _ in range(rng.randint(1, 3))],
        devices=[str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(rng.randint(0, 2))],
        handle=f"instagram/@{user.replace('.', '_')}",
    )


def noisy_email(rng: random.Random, email: str) -> str:
    return rng.choice([email, email.upper(), f"  {email} ", email.capitalize()])


def noisy_phone(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice([f"({a}) {b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}", f"1{digits}"])


def observations_of(
    rng: random.Random, person: Person, start: datetime
) -> Iterator[dict[str, Any]]:
    def at(offset_days: float) -> str:
        return (start + timedelta(days=offset_days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    yield {
        "source": "crm",
        "observed_at": at(rng.uniform(0, 30)),
        "authenticated": True,
        "identifiers": [
            {"type": "customer_id", "value": person.customer_id},
            {"type": "email", "value": noisy_email(rng, person.emails[0])},
            {"type": "phone", "value": noisy_phone(rng, person.phone)},
        ],
        "attributes": {
            "first_name": person.first,
            "last_name": person.last,
            "date_of_birth": person.born,
            "city": person.city,
            "postcode": person.postcode,
            "country": "US",
        },
        "consent": [
            {
                "purpose": "email",
                "status": rng.choice(["granted", "denied"]),
                "subject": {"type": "email", "value": person.emails[0]},
                "proof": {"form": "signup", "version": "2026-01"},
            }
        ],
    }
    for cookie in person.cookies:
        yield {
            "source": "web",
            "observed_at": at(rng.uniform(30, 60)),
            "authenticated": True,
            "identifiers": [
                {"type": "cookie", "value": cookie},
                {"type": "email", "value": noisy_email(rng, rng.choice(person.emails))},
            ],
        }
    for device in person.devices:
        yield {
            "source": "app",
            "observed_at": at(rng.uniform(30, 90)),
            "authenticated": True,
            "identifiers": [
                {"type": "device", "value": device.upper()},
                {"type": "customer_id", "value": person.customer_id},
            ],
            "consent": [
                {
                    "purpose": "push",
                    "status": "granted",
                    "subject": {"type": "device", "value": device},
                }
            ],
        }
    if rng.random() < 0.5:
        yield {
            "source": "social",
            "observed_at": at(rng.uniform(60, 90)),
            "authenticated": True,
            "identifiers": [
                {"type": "social", "value": person.handle},
                {"type": "email", "value": person.emails[-1]},
            ],
            "attributes": {"first_name": person.first, "city": person.city},
        }


def generate(
    people: int, seed: int = 7, names: Names | None = None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Observations (shuffled) and the truth: identifier ``type:raw`` -> person number.
    ``names``: draw names and places by frequency (None: the short lists)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    observations: list[dict[str, Any]] = []
    truth: dict[str, int] = {}
    for number in range(people):
        person = make_person(rng, number, names)
        for obs in observations_of(rng, person, start):
            observations.append(obs)
            for ident in obs["identifiers"]:
                truth[f"{ident['type']}:{ident['value']}"] = number
    rng.shuffle(observations)
    return observations, truth


LARGE_WORLD = 100_000
"""From this many people the world is written by ``write_large_world``."""
_PEOPLE_PER_CHUNK = 20_000
_BUCKETS = 64


def _chunk_lines(job: tuple[int, int, int, bool]) -> list[tuple[int, str]]:
    """The observations of people ``[first, last)`` as (bucket, JSON line)."""
    seed, first, last, realistic = job
    rng = random.Random(f"{seed}:{first}")
    names = _NAMES if realistic else None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    lines = []
    for number in range(first, last):
        for obs in observations_of(rng, make_person(rng, number, names), start):
            lines.append((rng.randrange(_BUCKETS), dumps(obs) + "\n"))
    return lines


_NAMES: Names | None = None


def write_large_world(out: Path, people: int, seed: int, realistic: bool, workers: int) -> int:
    """Write a world of ``people`` to ``out`` (shuffled through bucket files); returns
    how many observations. Chunks of people are made by ``workers`` processes."""
    import multiprocessing
    import shutil
    import tempfile

    global _NAMES
    _NAMES = Names(seed) if realistic else None
    jobs = [
        (seed, first, min(first + _PEOPLE_PER_CHUNK, people), realistic)
        for first in range(0, people, _PEOPLE_PER_CHUNK)
    ]
    written = 0
    scratch = Path(tempfile.mkdtemp(prefix="idgraph-world-", dir=out.parent))
    try:
        buckets = [(scratch / f"{b:03d}").open("w", encoding="utf-8") for b in range(_BUCKETS)]
        with multiprocessing.get_context("fork").Pool(max(workers, 1)) as pool:
            for lines in pool.imap(_chunk_lines, jobs):
                for bucket, line in lines:
                    buckets[bucket].write(line)
                written += len(lines)
        for handle in buckets:
            handle.close()
        shuffle = random.Random(seed)
        with out.open("w", encoding="utf-8") as target:
            for bucket in range(_BUCKETS):
                lines_of = (scratch / f"{bucket:03d}").read_text(encoding="utf-8").splitlines(True)
                shuffle.shuffle(lines_of)
                target.writelines(lines_of)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    parser.add_argument(
        "--names",
        choices=("few", "realistic"),
        help=f"few: the short lists; realistic: by frequency (default from {LARGE_WORLD:,})",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    realistic = (
        args.names or ("realistic" if args.people >= LARGE_WORLD else "few")
    ) == "realistic"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.people >= LARGE_WORLD and not args.truth:
        count = write_large_world(args.out, args.people, args.seed, realistic, args.workers)
        print(f"wrote {count:,} observations of {args.people:,} people to {args.out}")
        return 0
    observations, truth = generate(args.people, args.seed, Names(args.seed) if realistic else None)
    with args.out.open("w", encoding="utf-8") as out:
        for obs in observations:
            out.write(json.dumps(obs, ensure_ascii=False) + "\n")
    if args.truth:
        args.truth.write_text(json.dumps(truth), encoding="utf-8")
    print(f"wrote {len(observations):,} observations of {args.people:,} people to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
