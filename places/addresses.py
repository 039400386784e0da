"""Standard addresses (标准地址, the 一标 of 一标三实): free address text read into road, door number,
building, unit and room, and the normal keys that Road.key, Building.address_key and House.address_key hold.

People write one address many ways: "江西省南昌市东湖区八一大道123号1栋2单元301", "八一大道１２３号一栋二单元
301室", "八一大道 123 号恒茂小区 1#楼 2-301". A standard address names a place by its road, door number,
building, unit and room only, so everything else is dropped before the parts are compared:

- administrative places before the road (中国, …省, …市, …区/县, 江西 and 南昌 written bare), street offices
  (…街道, …街道办事处), communities (…社区, …居委会, …村委会) and compound names (…小区, …花园): the key is
  kept below a district, and Road rows already belong to one;
- a compound name between the door number and the building ("123号恒茂小区1栋");
- full-width digits, letters and signs, spaces (also U+3000), lower case, leading zeros;
- the many ways to write a building (1栋, 1幢, 1座, 1号楼, 1楼, 1#, 1#楼, 第1栋, 一栋), a unit (2单元, 二单元,
  the 2-301 form after a building) and a room (301, 301室, 301房, 301号, 301户).

Pure functions, no database: services and imports store the keys, lookups compare them by equality.
Free text is untrusted: anything wrong is refused with InvalidInput(field="address") saying what is missing.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import NoReturn

from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt.errors import InvalidInput
from gridmgmt.text import text_check

MAX_LENGTH = 300
FIELD = "address"

# Longest first: a road is cut at its longest suffix, so "北大道" is the road 北 + 大道, not 北大 + 道.
ROAD_SUFFIXES = ("大道", "大街", "胡同", "路", "街", "巷", "弄", "里", "道")
_SUFFIX = "(?:" + "|".join(ROAD_SUFFIXES) + ")"

# Provinces and the cities of Jiangxi, as people write them bare before a road ("南昌八一大道"). They are
# dropped only when a road name of two characters or more is left, so "北京西路" and "上海路" stay whole.
SHORT_PLACE_NAMES = (
    "黑龙江", "内蒙古", "景德镇",
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
    "南昌", "九江", "萍乡", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶",
)  # fmt: skip

# A place before the road: a name and the word that says what kind of place it is. Longer words come first
# so "街道办事处" is taken whole; a trailing lower level ("桃花新村街道") goes with it.
_PLACE_WORDS = (
    "特别行政区|自治区|自治州|自治县|省|市|区|县|旗|镇|乡"
    "|街道办事处|街道办|街道|社区居民委员会|社区居委会|社区|居民委员会|居委会|村民委员会|村委会"
    "|小区|花园|家园|公寓|大厦|新村|山庄|广场|苑"
)
_PLACE_PREFIXES = (
    re.compile(r"(?:中华人民共和国|中国)"),
    re.compile(
        rf"[\u4e00-\u9fff]{{1,12}}?(?:{_PLACE_WORDS})(?:街道办事处|街道办|街道|办事处|居民委员会|居委会)?"
    ),
    re.compile("(?:" + "|".join(SHORT_PLACE_NAMES) + ")"),
)

# Chinese numerals 1..99: 一..九, 十, 十一..十九, 二十..九十九 (两 as people say it: 两单元).
_CN = "(?:[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_NUMBER = r"[0-9]{1,6}(?:-[0-9]{1,6})?[A-Z甲乙丙丁戊]?"
# The door number: the first number + 号 that follows a road suffix ("号楼" is a building, not a door).
# At the very end a bare number counts too ("八一大道123").
_DOOR = re.compile(rf"(?P<suffix>{_SUFFIX})(?P<number>{_NUMBER})(?:号(?!楼)|\Z)")

_BUILDING_TOKEN = rf"(?:[A-Z]?[0-9]{{1,4}}[A-Z]?|[A-Z]|{_CN})"
_BUILDING_MARK = "(?:号楼|#楼|栋|幢|座|#|楼)"
# Below ground: B101 or -101 (both the first basement floor); letters otherwise name a wing (A301).
_ROOM = r"(?:-|B)?[A-Z]?[0-9]{1,6}[A-Z]?"
# What follows the door number: an optional compound name, building, unit, floor word and room. The forms
# 1-2-301 (building-unit-room) and 1栋2-301 (unit-room after a building) are read here too.
_TAIL = re.compile(
    r"(?P<compound>.*?)"
    rf"(?:第?(?P<building>{_BUILDING_TOKEN}){_BUILDING_MARK}|(?P<building_bare>[0-9]{{1,4}})-(?=[0-9]{{1,3}}-))?"
    rf"(?:第?(?P<unit>[0-9]{{1,3}}|{_CN})单元|(?P<unit_dash>[0-9]{{1,3}})-(?=[0-9]))?"
    rf"(?:(?:第?(?:[0-9]{{1,3}}|{_CN})[层楼])?(?P<room>{_ROOM})[室房号户]?)?"
)
_BUILDING_ALONE = re.compile(
    rf"(?P<compound>[^0-9A-Z]*?)第?(?P<building>{_BUILDING_TOKEN})(?:{_BUILDING_MARK}|号)?"
)
_ROOM_ALONE = re.compile(rf"(?P<room>{_ROOM})[室房号户]?")
_NUMBER_ALONE = re.compile(rf"第?(?P<number>{_NUMBER})号?")

_ROAD_ANYWHERE = re.compile(rf".{_SUFFIX}")
_DIGITS = re.compile("[0-9]+")
# Left in a dropped compound name, these are parts we could not read: digits, letters, a numbered phase or
# area (恒茂二期, 三区), which would otherwise collapse two places at one door number.
_NUMBERED = re.compile(rf"[0-9A-Z]|{_CN}[期区组]")
_WHITESPACE = re.compile(r"\s+")
# Remarks in brackets ("八一大道123号（东门）") are not part of an address.
_REMARKS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_SEPARATORS = re.compile("[,、;:。]")
# Dashes people type for "-"; NFKC leaves these alone.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))
# Traditional forms of the words the parser reads.
_TRADITIONAL = str.maketrans("號棟樓單區縣鎮鄉", "号栋楼单区县镇乡")

_TOO_LONG = gettext_noop("an address has at most %(n)s characters")
_REQUIRED = gettext_noop("an address is required")
_NO_ROAD = gettext_noop("the address names no road (a name ending in 路, 街, 巷 or 大道)")
_NO_NUMBER = gettext_noop("the address has no door number after the road %(road)s (such as 123号)")
_UNREADABLE = gettext_noop(
    'cannot read "%(part)s" in the address: write the building, unit and room like 1栋2单元301'
)


@dataclass(frozen=True)
class AddressParts:
    """A standard address read from text, each part in its normal form."""

    road: str  # as written, cleaned: "八一大道"
    number: str  # door number: "123", "123-1", "123甲"
    building: str  # building number: "1", "A", "12B"; "" when none
    unit: int | None  # unit (单元); None when none
    room: str  # room as on the door: "301", "A301", "B101" (below ground); "" when none
    floor: int | None  # from the room: 301 → 3, 1203 → 12, B101 → -1; None when no room


# --- the API ------------------------------------------------------------------------------------------


def address_parse(text: str) -> AddressParts:
    """Reads free address text into its standard parts; refuses (InvalidInput) text that names no road or
    no door number, a building/unit/room part it cannot read, and text that is too long or unprintable."""
    clean = _parse_clean(_checked(text, required=True))
    door = _DOOR.search(clean)
    if door is None:
        _refuse_missing(clean)
    road = _road_strip(clean[: door.end("suffix")])
    if len(_road_name(road)) < 1:
        raise InvalidInput(_NO_ROAD, field=FIELD)
    building, unit, room = _tail_parse(clean[door.end() :])
    return AddressParts(
        road=road,
        number=_number_normal(door.group("number")),
        building=building,
        unit=unit,
        room=room,
        floor=_room_floor(room) if room else None,
    )


def road_key(name: str) -> str:
    """The normal form of a road name: half-width, no spaces, places before the road dropped
    ("东湖区八一大道" → "八一大道"); the road's own suffix (路, 街, 巷, 大道) is kept."""
    return _road_strip(_parse_clean(name or ""))


def building_key(road: str, number: str, building: str) -> str:
    """The key of a building: "八一大道/123/1". Each part is normalised first, so "123号" and "1栋" may be
    passed as written; a building name that is not a number ("恒茂大厦") is no part of the key, as the
    parser drops it too."""
    return f"{road_key(road)}/{_number_normal(_parse_clean(number or ''))}/{_building_normal(building)}"


def house_key(building_key: str, unit: int | None, room: str) -> str:
    """The key of a house: the building's key, the unit ("0" when none) and the room:
    "八一大道/123/1/2/301"."""
    return f"{building_key}/{unit if unit is not None else 0}/{_room_normal(room)}"


def building_address(road: str, number: str, building: str) -> str:
    """The standard address written out: "八一大道123号1栋"; a named building keeps its name
    ("八一大道123号恒茂大厦")."""
    written = f"{road_key(road)}{_number_normal(_parse_clean(number or ''))}号"
    token = _building_normal(building)
    if token:
        return f"{written}{token}栋"
    return written + _parse_clean(building or "")


def house_address(building_address: str, unit: int | None, room: str) -> str:
    """A house's standard address written out: "八一大道123号1栋2单元301室"."""
    written = building_address
    if unit is not None:
        written += f"{unit}单元"
    room = _room_normal(room)
    if room:
        written += f"{room}室"
    return written


def address_keys(text: str) -> tuple[str, str | None]:
    """The building key and the house key (None when the text names no room) of free address text."""
    parts = address_parse(text)
    key = building_key(parts.road, parts.number, parts.building)
    return key, (house_key(key, parts.unit, parts.room) if parts.room else None)


def search_terms(text: str) -> str:
    """Text as a search string for contains-lookups in names, addresses and keys: half-width, upper case,
    without spaces, so "八一大道 １２３号" finds "八一大道123号"."""
    return _width_clean(_checked(text, required=False))


# --- reading ------------------------------------------------------------------------------------------


def _checked(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise InvalidInput(_TOO_LONG, n=MAX_LENGTH, field=FIELD)
    text_check(text, what=gettext_lazy("the address"), field=FIELD)
    if required and not text:
        raise InvalidInput(_REQUIRED, field=FIELD)
    return text


def _width_clean(text: str) -> str:
    # NFKC folds full-width digits, letters, '＃', '－' and the ideographic space into ASCII.
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _WHITESPACE.sub("", text).upper()


def _parse_clean(text: str) -> str:
    text = _width_clean(text).translate(_TRADITIONAL)
    return _SEPARATORS.sub("", _REMARKS.sub("", text))


def _refuse_missing(clean: str) -> NoReturn:
    # Name the road we did find (the last one written), so the person sees what is missing after it.
    roads = list(_ROAD_ANYWHERE.finditer(clean))
    if not roads:
        raise InvalidInput(_NO_ROAD, field=FIELD)
    raise InvalidInput(_NO_NUMBER, road=_shortened(_road_strip(clean[: roads[-1].end()])), field=FIELD)


def _road_name(road: str) -> str:
    """The road without its suffix ("八一大道" → "八一"); "" when it has no suffix."""
    for suffix in ROAD_SUFFIXES:
        if road.endswith(suffix):
            return road[: -len(suffix)]
    return ""


def _road_strip(road: str) -> str:
    # Drop places from the front one at a time, as long as a road of two characters or more remains: a
    # road that itself starts like a place ("区府路", "北京西路", "人民广场东路") stays whole.
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PLACE_PREFIXES:
            found = prefix.match(road)
            if found and len(_road_name(road[found.end() :])) >= 2:
                road = road[found.end() :]
                stripped = True
                break
    return road


def _tail_parse(tail: str) -> tuple[str, int | None, str]:
    """Building, unit and room from what follows the door number."""
    found = _TAIL.fullmatch(tail)
    if found is None or _NUMBERED.search(found.group("compound")):
        raise InvalidInput(_UNREADABLE, part=_shortened(tail), field=FIELD)
    building = found.group("building") or found.group("building_bare") or ""
    if found.group("unit_dash") and not building:
        # "123号2-301": without a building, 2 may be a building or a unit; a guess could mis-file the house.
        raise InvalidInput(_UNREADABLE, part=_shortened(tail), field=FIELD)
    unit_text = found.group("unit") or found.group("unit_dash")
    unit = _small_number(unit_text) if unit_text else None
    if unit == 0:
        raise InvalidInput(_UNREADABLE, part=_shortened(tail), field=FIELD)
    room = found.group("room")
    return _token_normal(building), unit, (_room_token_normal(room) if room else "")


def _shortened(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


# --- normal forms ---------------------------------------------------------------------------------------


def _small_number(text: str) -> int:
    """An ASCII or Chinese numeral (1..99) as an int."""
    if text.isascii():
        return int(text)
    tens, has_ten, ones = text.partition("十")
    if not has_ten:
        return _CN_DIGITS[text]
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _no_leading_zeros(text: str) -> str:
    return _DIGITS.sub(lambda digits: str(int(digits.group())), text)


def _number_normal(number: str) -> str:
    found = _NUMBER_ALONE.fullmatch(number)
    return _no_leading_zeros(found.group("number") if found else number.removesuffix("号"))


def _token_normal(token: str) -> str:
    if not token:
        return ""
    if re.fullmatch(_CN, token):
        return str(_small_number(token))
    return _no_leading_zeros(token)


def _building_normal(building: str) -> str:
    found = _BUILDING_ALONE.fullmatch(_parse_clean(building or ""))
    return _token_normal(found.group("building")) if found else ""


def _room_token_normal(room: str) -> str:
    # -101 and B101 are one room below ground; written B101.
    if room.startswith(("-", "B")):
        return "B" + _no_leading_zeros(room[1:])
    return _no_leading_zeros(room)


def _room_normal(room: str) -> str:
    clean = _parse_clean(room or "")
    found = _ROOM_ALONE.fullmatch(clean)
    return _room_token_normal(found.group("room")) if found else clean


def _room_floor(room: str) -> int:
    """The floor a room is on: its number without the last two digits (301 → 3, 1203 → 12); a room of one
    or two digits is on the ground floor; B (below ground) makes it negative (B101 → -1, B2 → -1)."""
    digits = _DIGITS.search(room).group()
    storey = int(digits[:-2]) if len(digits) > 2 else 1
    return -storey if room.startswith("B") else storey
