"""Korean addresses: road-name (도로명) and lot-number (지번) addresses read into parts.

A road-name address names the province or metropolitan city (시/도), the city, county or
district (시/군/구, sometimes two: ``성남시 분당구``), a town (읍/면) in the country, the
road (``테헤란로``, ``월드컵북로4길``, ``중앙로 123번길``) and the building number
(``152``, ``152-1``); a lot-number address names the legal neighbourhood or village
(동/리/가: ``역삼동``, ``영천리``, ``종로1가``) and the lot (``737``, ``737-1``, ``산 12``).
Either may end with the building of an apartment complex and the unit (``101동 1203호``,
or ``101-1203`` after the number), a floor, a building name and a note in brackets.

``parse_korean_address`` returns the parts, or None when the text is not such an address
(no road with a building number, no neighbourhood with a lot). ``canonical`` writes the
parts back in one spelling (``서울 강남구 테헤란로 152 101동 1203호``): provinces by
their short names (서울특별시, 서울시 and 서울 are 서울), spacing inside road names
dropped, building names and notes left out. Parsing the canonical text gives the same
parts, so a stored normalized address can be read again.

The seventeen provinces and metropolitan cities are listed here with their official and
short names: no maintained package has them (the address API of the Ministry of the
Interior needs the network).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_REGIONS = {
    "서울": ("서울특별시", "서울시"),
    "부산": ("부산광역시", "부산시"),
    "대구": ("대구광역시", "대구시"),
    "인천": ("인천광역시", "인천시"),
    "광주": ("광주광역시", "광주시"),
    "대전": ("대전광역시", "대전시"),
    "울산": ("울산광역시", "울산시"),
    "세종": ("세종특별자치시", "세종시"),
    "경기": ("경기도",),
    "강원": ("강원도", "강원특별자치도"),
    "충북": ("충청북도",),
    "충남": ("충청남도",),
    "전북": ("전라북도", "전북특별자치도"),
    "전남": ("전라남도",),
    "경북": ("경상북도",),
    "경남": ("경상남도",),
    "제주": ("제주특별자치도", "제주도"),
}
_REGION_OF = {name: short for short, names in _REGIONS.items() for name in (short, *names)}

_DISTRICT = re.compile(r"[가-힣]+(?:시|군|구)")
_TOWN = re.compile(r"[가-힣]+(?:읍|면)")
_ROAD = re.compile(r"[가-힣0-9]*[가-힣][가-힣0-9]*(?:로|길)")
_ROAD_CONTINUED = re.compile(r"\d+(?:번)?길")
_NEIGHBOURHOOD = re.compile(r"[가-힣]+\d*(?:동|리|가)")
_NUMBER = re.compile(r"(산)?(\d+)(?:-(\d+))?(?:번지)?")
_COMPLEX_BUILDING = re.compile(r"([a-z]?\d+)동")
_UNIT = re.compile(r"([a-z]?\d+)호")
_COMPLEX_AND_UNIT = re.compile(r"(\d+)(?:-|동)(\d+)호?")
_FLOOR = re.compile(r"(?:지하)?\d+층")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class KoreanAddress:
    region: str
    """Province or metropolitan city by its short name (``서울``), or ""."""
    district: str
    """City, county and district as written, joined without spaces (``성남시분당구``)."""
    town: str
    """읍/면 of a road address, or the 동/리/가 of a lot address."""
    road: str
    """Road name without spaces (``월드컵북로4길``); "" for a lot address."""
    number: str
    """Building number of a road address or lot number of a lot address (``152-1``,
    ``산12``)."""
    complex_building: str = ""
    """The apartment building in a complex (``101`` of ``101동``)."""
    unit: str = ""
    """The unit (``1203`` of ``1203호``)."""

    @property
    def is_road(self) -> bool:
        return bool(self.road)

    def canonical(self) -> str:
        parts = [self.region, self.district, self.town, self.road, self.number]
        if self.complex_building:
            parts.append(f"{self.complex_building}동")
        if self.unit:
            parts.append(f"{self.unit}호")
        return " ".join(p for p in parts if p)


@functools.lru_cache(maxsize=1 << 16)
def parse_korean_address(text: str) -> KoreanAddress | None:
    """The parts of a Korean road-name or lot-number address, or None."""
    cleaned = _BRACKETS.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    tokens = [t for t in _SEPARATORS.split(cleaned) if t]
    region = district = town = road = number = building = unit = ""
    index = 0
    if tokens and tokens[0] in _REGION_OF:
        region = _REGION_OF[tokens[0]]
        index = 1
    while index < len(tokens):
        token = tokens[index]
        if number:
            building, unit = _apartment(tokens[index:], building, unit)
            break
        if not road and not town and _DISTRICT.fullmatch(token) and token not in _REGION_OF:
            district += token
        elif not road and not town and _TOWN.fullmatch(token):
            town = token
        elif not road and _ROAD.fullmatch(token) and not _NEIGHBOURHOOD.fullmatch(token):
            road = token
            if index + 1 < len(tokens) and _ROAD_CONTINUED.fullmatch(tokens[index + 1]):
                road += tokens[index + 1]
                index += 1
        elif not road and _NEIGHBOURHOOD.fullmatch(token):
            town = token
        elif (road or town) and token in ("지하", "산") and index + 1 < len(tokens):
            # "지하 152" is an underground building, "산 12" a mountain lot.
            tokens[index + 1] = ("산" if token == "산" else "") + tokens[index + 1]
        elif (road or town) and (found := _NUMBER.fullmatch(token)):
            mountain, main, sub = found.groups()
            number = (mountain or "") + main.lstrip("0") + (f"-{sub.lstrip('0')}" if sub else "")
        elif road or town:
            return None
        index += 1
    if not number or not (region or district) or (not road and not _is_lot_town(town)):
        return None
    if road and not _ROAD.fullmatch(road):
        return None
    return KoreanAddress(region, district, town, road, number, building, unit)


def _is_lot_town(town: str) -> bool:
    return bool(_NEIGHBOURHOOD.fullmatch(town))


def _apartment(tokens: list[str], building: str, unit: str) -> tuple[str, str]:
    """Apartment building and unit from what follows the number: ``101동 1203호``,
    ``101-1203``, ``1203호``; building names, floors and notes are read past."""
    for token in tokens:
        if found := _COMPLEX_BUILDING.fullmatch(token):
            building = building or found.group(1).lstrip("0")
        elif found := _UNIT.fullmatch(token):
            unit = unit or found.group(1).lstrip("0")
        elif (found := _COMPLEX_AND_UNIT.fullmatch(token)) and not (building or unit):
            building, unit = found.group(1).lstrip("0"), found.group(2).lstrip("0")
        elif _FLOOR.fullmatch(token):
            continue
    return building, unit


def same_district(a: KoreanAddress, b: KoreanAddress) -> bool:
    """Province and district agree where both give them (``성남시분당구`` and ``분당구``
    agree: one is written inside the other)."""
    if a.region and b.region and a.region != b.region:
        return False
    if a.district and b.district:
        return a.district.endswith(b.district) or b.district.endswith(a.district)
    return True
