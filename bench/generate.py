"""Generate observations of a synthetic population with known truth.

Each person has a CRM record (customer ID, email, phone, name, birth date, address),
some web sessions (cookie, sometimes a login with the email), app events (device ID with
a login), and a social handle seen with an email. Raw values carry format noise that
normalization must undo (case, spaces, phone punctuation, ``@`` on handles).

    python -m bench.generate --people 1000 --out demo.ndjson [--truth truth.json] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def make_person(rng: random.Random, number: int) -> Person:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postcode = rng.choice(CITIES)
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


def generate(people: int, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Observations (shuffled) and the truth: identifier ``type:raw`` -> person number."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    observations: list[dict[str, Any]] = []
    truth: dict[str, int] = {}
    for number in range(people):
        person = make_person(rng, number)
        for obs in observations_of(rng, person, start):
            observations.append(obs)
            for ident in obs["identifiers"]:
                truth[f"{ident['type']}:{ident['value']}"] = number
    rng.shuffle(observations)
    return observations, truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--truth", type=Path)
    args = parser.parse_args(argv)
    observations, truth = generate(args.people, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for obs in observations:
            out.write(json.dumps(obs, ensure_ascii=False) + "\n")
    if args.truth:
        args.truth.write_text(json.dumps(truth), encoding="utf-8")
    print(f"wrote {len(observations):,} observations of {args.people:,} people to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
