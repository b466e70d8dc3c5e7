"""A Korean customer world with known truth, written from how Korean customer files look.

Phenomena (each a reason Korean data broke earlier matching, written before any tuning):

- Names: a Hangul full name in one column (``이름``), family name first, sometimes with a
  space after the family name (``김 민준``); surnames drawn with their real frequencies
  (``name-variants``: 김 about 21%, 이 14%, 박 8% ...), a few two-syllable family names
  (남궁, 황보, 제갈, 선우, 독고); given names drawn from a short list of popular ones, so
  namesakes (the same 김민준 or 이서연, another person) are common.
- Typos at the letter level: a vowel or final consonant mistyped inside a syllable
  (민준 as 민쥰, 서연 as 서윤).
- The same people romanized by other sources (a global web shop, a passport-based
  booking): Revised Romanization, McCune-Reischauer and passport spellings of the
  surname (Kim/Gim, Lee/Yi/Rhee, Park/Pak/Bak, Choi/Choe, Jung/Jeong/Chung ...), the given
  name with a hyphen, a space or neither, ``oo``/``eo`` spellings, family name first or
  last, upper or mixed case.
- Households: a couple (two surnames: a Korean wife keeps hers) and their children
  sharing a landline (02-, 031-, 051- ...) and one apartment unit (``101동 1203호``).
- Decoys: people born on the same day as someone else, living in another city in a
  building with the same number (``테헤란로 152`` and ``센텀중앙로 152``), and roads of
  one name in several cities (``중앙로``).
- Phones in every local form (``010-1234-5678``, ``01012345678``, ``010 1234 5678``,
  ``+82 10-1234-5678``, ``0082-10-1234-5678``, ``001-82-10-...``, ``(010)1234-5678``).
- Addresses as road-name addresses with and without the province's full name, the
  building name in brackets, ``101-1203`` for ``101동 1203호``; some sources keep the
  lot-number address (``역삼동 737``).
- Dates as ``1993.11.02`` (the shop), ``931102`` (the app's old form), ISO (the web).
- The shop's member export is a CSV in CP949 with Korean headers (``회원번호, 이름, 휴대폰,
  이메일, 생년월일, 성별, 주소, 상세주소, 수신동의``), loaded through ``idgraph load``'s
  reading (``--encoding cp949 --columns examples/korean-columns.toml``); junk cells
  (``없음``, ``-``, ``000-0000-0000``) as real exports have.
- An event sign-up with a new email and a phone typed with a digit off: only the person
  attributes can join it.

Truth: every observation belongs to one person; ``decoys`` lists the pairs (person,
decoy) that share only a birth date and a building number.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from name_variants.korean_surnames import (  # type: ignore[import-untyped]
    KOREAN_SURNAME_VARIANTS,
)

from matchers.scripts import to_latin

EXAMPLE_MAP = Path(__file__).resolve().parent.parent / "examples" / "korean-columns.toml"

COMPOUND = ["남궁", "황보", "제갈", "선우", "독고"]
GIVEN = [
    "민준", "서준", "도윤", "예준", "시우", "하준", "주원", "지호", "지후", "준우",
    "준서", "도현", "건우", "현우", "우진", "선우", "서진", "민재", "현준", "연우",
    "서연", "서윤", "지우", "서현", "민서", "하은", "하윤", "윤서", "지유", "지민",
    "채원", "수아", "지아", "지윤", "은서", "다은", "예은", "수빈", "소율", "예린",
    "영수", "영호", "정훈", "성민", "상훈", "경희", "미경", "은영", "혜진", "정미",
]  # fmt: skip
PLACES = [
    ("서울특별시", "서울", "강남구", ["테헤란로", "도산대로", "중앙로"], "06"),
    ("서울특별시", "서울", "마포구", ["월드컵북로", "성미산로", "중앙로"], "03"),
    ("서울특별시", "서울", "송파구", ["송파대로", "올림픽로"], "05"),
    ("부산광역시", "부산", "해운대구", ["센텀중앙로", "해운대로", "중앙로"], "48"),
    ("대구광역시", "대구", "수성구", ["달구벌대로", "동대구로"], "42"),
    ("인천광역시", "인천", "연수구", ["컨벤시아대로", "센트럴로"], "21"),
    ("경기도", "경기", "성남시 분당구", ["판교역로", "정자일로", "중앙로"], "13"),
    ("경기도", "경기", "수원시 영통구", ["광교중앙로", "영통로"], "16"),
]
NEIGHBOURHOODS = ["역삼동", "서교동", "잠실동", "우동", "범어동", "송도동", "정자동", "이의동"]
LANDLINE_AREAS = {"서울": "02", "부산": "051", "대구": "053", "인천": "032", "경기": "031"}
MAIL_DOMAINS = ["naver.com", "daum.net", "gmail.com", "kakao.com", "nate.com"]
# Jamo a hand slips to: vowels next to each other on the 2-set keyboard or in sound.
VOWEL_SLIPS = {0: 2, 2: 0, 4: 6, 6: 4, 8: 12, 12: 8, 13: 17, 17: 13, 1: 5, 5: 1, 20: 18}


@dataclass
class KoreanPerson:
    number: int
    family: str
    given: str
    born: date
    female: bool
    place: tuple[str, str, str, list[str], str]
    road: str
    building: int
    unit: tuple[int, int] | None
    postcode: str
    mobile: str
    email: str
    member: str
    landline: str = ""
    household: int = 0
    devices: list[str] = field(default_factory=list)

    @property
    def hangul(self) -> str:
        return self.family + self.given


@dataclass(frozen=True, slots=True)
class KoreanWorld:
    csv_rows: list[tuple[int, list[str]]]
    """(person, CSV cells) of the shop's member export, in file order."""
    observations: list[tuple[int, dict[str, Any]]]
    """(person, raw observation) of every other source, in load order."""
    people: int
    decoys: list[tuple[int, int]]


CSV_HEADER = [
    "회원번호", "이름", "휴대폰", "전화번호", "이메일", "생년월일", "성별", "주소", "상세주소",
    "수신동의",
]  # fmt: skip

SETTINGS: dict[str, Any] = {
    "date_formats": {"app": ("YYMMDD",), "event": ("YYYY.MM.DD",), "callcenter": ("YYMMDD",)},
    "phone_regions": {"app": "KR", "event": "KR", "callcenter": "KR"},
}
"""What the sources declare (their date formats and phone country)."""


def _surnames(rng: random.Random) -> list[tuple[str, float]]:
    entries: dict[str, dict[str, Any]] = KOREAN_SURNAME_VARIANTS
    counted = {h: e["frequency"] for h, e in entries.items() if "frequency" in e}
    rest = [h for h in entries if h not in counted]
    # The surnames the table does not count share what the counted ones leave.
    share_left = 51_000_000 - sum(counted.values())
    weights = [(h, float(n)) for h, n in counted.items()]
    weights += [(h, share_left * 0.9 / len(rest)) for h in rest]
    weights += [(h, 51_000_000 * 0.002) for h in COMPOUND]
    return weights


def _jamo_slip(rng: random.Random, name: str) -> str:
    """One letter of one syllable mistyped: a vowel slipped, or a final added or lost."""
    i = rng.randrange(len(name))
    code = ord(name[i]) - 0xAC00
    lead, vowel, tail = code // 588, (code % 588) // 28, code % 28
    if rng.random() < 0.6 and vowel in VOWEL_SLIPS:
        vowel = VOWEL_SLIPS[vowel]
    else:
        tail = 4 if tail == 0 else 0  # ㄴ added or the final dropped
    return name[:i] + chr(0xAC00 + lead * 588 + vowel * 28 + tail) + name[i + 1 :]


def _romanized_surname(rng: random.Random, family: str) -> str:
    entry = KOREAN_SURNAME_VARIANTS.get(family)
    forms: list[str] = [str(f) for f in entry["forms"]] if entry else []
    forms.append(to_latin(family).replace(" ", ""))
    return rng.choice(forms[:4])


def _romanized_given(rng: random.Random, given: str) -> str:
    syllables = [to_latin(s) for s in given]
    if rng.random() < 0.3:  # passport and diaspora spellings
        syllables = [
            s.replace("eo", "u").replace("u", "oo", 1) if "u" in s else s for s in syllables
        ]
    if rng.random() < 0.15:  # McCune-Reischauer: plain initials as voiceless, eo as o
        syllables = [
            s.replace("eo", "o").replace("j", "ch", 1).replace("g", "k", 1) for s in syllables
        ]
    joiner = rng.choice(["-", " ", ""])
    return joiner.join(syllables)


def romanized_name(rng: random.Random, person: KoreanPerson) -> str:
    family = _romanized_surname(rng, person.family).capitalize()
    given = _romanized_given(rng, person.given)
    given = "-".join(p.capitalize() for p in given.split("-")) if "-" in given else given.title()
    name = rng.choice([f"{family} {given}", f"{given} {family}"])
    return name.upper() if rng.random() < 0.4 else name


def _phone_form(rng: random.Random, mobile: str) -> str:
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return rng.choice(
        [
            f"{a}-{b}-{c}",
            f"{a}{b}{c}",
            f"{a} {b} {c}",
            f"+82 {a[1:]}-{b}-{c}",
            f"+82-{a[1:]}-{b}-{c}",
            f"0082-{a[1:]}-{b}-{c}",
            f"001-82-{a[1:]}-{b}-{c}",
            f"({a}){b}-{c}",
            f"{a}.{b}.{c}",
        ]
    )


def road_address(rng: random.Random, person: KoreanPerson, detail: bool = True) -> str:
    province, short, district, _, _ = person.place
    head = rng.choice([province, short])
    text = f"{head} {district} {person.road} {person.building}"
    if rng.random() < 0.2:
        text += f" ({rng.choice(NEIGHBOURHOODS)}, {rng.choice(['래미안', '자이', '힐스테이트'])})"
    if detail and person.unit:
        dong, ho = person.unit
        text += rng.choice([f" {dong}동 {ho}호", f", {dong}-{ho}", f" {dong}동{ho}호"])
    return text


def lot_address(rng: random.Random, person: KoreanPerson) -> str:
    province, _, district, _, _ = person.place
    lot = 100 + (person.building * 7) % 800
    return (
        f"{province} {district} {NEIGHBOURHOODS[person.building % 8]} {lot}-{person.number % 9 + 1}"
    )


def make_people(rng: random.Random, count: int) -> tuple[list[KoreanPerson], list[tuple[int, int]]]:
    surnames = _surnames(rng)
    names, weights = zip(*surnames, strict=True)
    given_weights = [1.0 / (i + 1) ** 0.7 for i in range(len(GIVEN))]
    people: list[KoreanPerson] = []
    decoys: list[tuple[int, int]] = []
    used_mobiles: set[str] = set()

    def mobile() -> str:
        while True:
            found = f"010{rng.randrange(2000, 9999)}{rng.randrange(10000):04d}"
            if found not in used_mobiles:
                used_mobiles.add(found)
                return found

    def person(family: str, born: date, female: bool, household: int, **where: Any) -> KoreanPerson:
        n = len(people)
        given = rng.choices(GIVEN, given_weights)[0]
        local = f"{''.join(to_latin(given).split())}{born.year % 100:02d}{rng.randrange(100)}"
        return KoreanPerson(
            number=n,
            family=family,
            given=given,
            born=born,
            female=female,
            mobile=mobile(),
            email=f"{local}@{rng.choice(MAIL_DOMAINS)}",
            member=f"M{100000 + n}",
            household=household,
            devices=[f"{rng.getrandbits(128):032x}"] if rng.random() < 0.4 else [],
            **where,
        )

    def born_between(start: int, end: int) -> date:
        return date(start, 1, 1) + timedelta(days=rng.randrange(365 * (end - start)))

    household = 0
    while len(people) < count:
        place = rng.choice(PLACES)
        where = {
            "place": place,
            "road": rng.choice(place[3]),
            "building": rng.randrange(1, 300),
            "unit": (rng.randrange(101, 116), rng.randrange(1, 26) * 100 + rng.randrange(1, 5))
            if rng.random() < 0.7
            else None,
            "postcode": place[4] + f"{rng.randrange(1000):03d}",
        }
        size = rng.choice([1, 1, 1, 2, 2, 3, 4])
        husband = rng.choices(names, weights)[0]
        landline = (
            f"{LANDLINE_AREAS[place[1]]}{rng.randrange(200, 999)}{rng.randrange(10000):04d}"
            if size > 1
            else ""
        )
        parent_year = rng.randrange(1950, 1985)
        for k in range(size):
            if k == 0:
                member = person(
                    husband, born_between(parent_year, parent_year + 3), False, household, **where
                )
            elif k == 1:
                wife = rng.choices(names, weights)[0]
                member = person(
                    wife, born_between(parent_year, parent_year + 4), True, household, **where
                )
            else:
                member = person(
                    husband,
                    born_between(parent_year + 25, parent_year + 35),
                    rng.random() < 0.5,
                    household,
                    **where,
                )
            member.landline = landline
            people.append(member)
            if len(people) == count:
                break
        household += 1
        if people and rng.random() < 0.15 and len(people) < count:
            # A decoy: born the same day as someone, in another city, a building of the
            # same number.
            twin = rng.choice(people)
            other = rng.choice([p for p in PLACES if p[1] != twin.place[1]])
            decoy = person(
                rng.choices(names, weights)[0],
                twin.born,
                rng.random() < 0.5,
                household,
                place=other,
                road=rng.choice(other[3]),
                building=twin.building,
                unit=twin.unit,
                postcode=other[4] + f"{rng.randrange(1000):03d}",
            )
            people.append(decoy)
            decoys.append((twin.number, decoy.number))
            household += 1
    return people, decoys


def build_korean_world(people_count: int, seed: int) -> KoreanWorld:
    rng = random.Random(seed)
    people, decoys = make_people(rng, people_count)
    rows: list[tuple[int, list[str]]] = []
    observations: list[tuple[int, dict[str, Any]]] = []

    def ident(kind: str, value: str) -> dict[str, str]:
        return {"type": kind, "value": value}

    def at() -> str:
        moment = date(2025, 1, 1) + timedelta(days=rng.randrange(360))
        return f"{moment.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+09:00"

    def hangul_name(p: KoreanPerson, typo: float) -> str:
        given = _jamo_slip(rng, p.given) if rng.random() < typo else p.given
        return f"{p.family} {given}" if rng.random() < 0.2 else p.family + given

    for p in people:
        # The shop's member export (CP949 CSV).
        email = p.email
        junk = rng.random()
        if junk < 0.04:
            email = rng.choice(["없음", "-", "test@test.com"])
        phone = "000-0000-0000" if junk > 0.97 else _phone_form(rng, p.mobile)
        born = p.born.strftime("%Y.%m.%d") if rng.random() < 0.8 else p.born.strftime("%y%m%d")
        address = road_address(rng, p, detail=False)
        detail = f"{p.unit[0]}동 {p.unit[1]}호" if p.unit else ""
        rows.append(
            (
                p.number,
                [
                    p.member,
                    hangul_name(p, 0.03),
                    phone,
                    p.landline,
                    email,
                    born,
                    "여" if p.female else "남",
                    address,
                    detail,
                    rng.choice(["동의", "거부", "Y", "N"]),
                ],
            )
        )
        # The global web shop: romanized name, a login.
        if rng.random() < 0.6:
            observations.append(
                (
                    p.number,
                    {
                        "source": "global",
                        "authenticated": True,
                        "identifiers": [
                            ident("email", f"{p.email.split('@')[0]}.{p.number}@gmail.com"),
                            ident("cookie", f"{rng.getrandbits(80):020x}"),
                        ],
                        "attributes": {
                            "full_name": romanized_name(rng, p),
                            "date_of_birth": p.born.isoformat(),
                            "gender": "F" if p.female else "M",
                            "country": "KR",
                            **(
                                {"address": road_address(rng, p), "postcode": p.postcode}
                                if rng.random() < 0.5
                                else {}
                            ),
                        },
                    },
                )
            )
        # The app: Hangul name (typos), phone digits, YYMMDD, sometimes a lot address.
        for device in p.devices:
            observations.append(
                (
                    p.number,
                    {
                        "source": "app",
                        "authenticated": True,
                        "identifiers": [
                            ident("device", device),
                            ident("phone", p.mobile),
                            ident("customer_id", f"shop/{p.member}"),
                        ],
                        "attributes": {
                            "full_name": hangul_name(p, 0.1),
                            "date_of_birth": p.born.strftime("%y%m%d"),
                            "address": lot_address(rng, p)
                            if rng.random() < 0.3
                            else road_address(rng, p),
                        },
                    },
                )
            )
        # An event sign-up: a new email, the phone one digit off now and then.
        if rng.random() < 0.3:
            typed = p.mobile
            if rng.random() < 0.3:
                i = rng.randrange(3, len(typed))
                typed = typed[:i] + rng.choice(string.digits) + typed[i + 1 :]
            observations.append(
                (
                    p.number,
                    {
                        "source": "event",
                        "authenticated": False,
                        "identifiers": [
                            ident("email", f"{p.member.lower()}.event{p.number}@naver.com"),
                        ],
                        "attributes": {
                            "full_name": hangul_name(p, 0.15),
                            "date_of_birth": p.born.strftime("%Y.%m.%d"),
                            "address": road_address(rng, p),
                            "postcode": p.postcode,
                            "gender": "여" if p.female else "남",
                        },
                    },
                )
            )
        # The call centre: the household landline with the caller's name and birth date.
        if p.landline and rng.random() < 0.5:
            observations.append(
                (
                    p.number,
                    {
                        "source": "callcenter",
                        "authenticated": False,
                        "identifiers": [
                            ident(
                                "phone", f"{p.landline[:-8]}-{p.landline[-8:-4]}-{p.landline[-4:]}"
                            )
                        ],
                        "attributes": {
                            "full_name": hangul_name(p, 0.05),
                            "date_of_birth": p.born.strftime("%y%m%d"),
                        },
                    },
                )
            )
    for _, obs in observations:
        obs["observed_at"] = at()
    rng.shuffle(observations)
    return KoreanWorld(rows, observations, len(people), decoys)


def write_member_csv(world: KoreanWorld, path: Path) -> Path:
    """The shop's export as Excel in Korea writes it: CP949, CRLF."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(cells for _, cells in world.csv_rows)
    path.write_bytes(text.getvalue().encode("cp949"))
    return path
