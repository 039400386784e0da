"""Standard addresses: the variants people write resolve to one key, different places never collapse, and
untrusted text is refused with InvalidInput only."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgmt.errors import InvalidInput
from places.addresses import (
    MAX_LENGTH,
    AddressParts,
    address_keys,
    address_parse,
    building_address,
    building_key,
    house_address,
    house_key,
    road_key,
    search_terms,
)

HOUSE = "八一大道/123/1/2/301"
BUILDING = "八一大道/123/1"

FULL_WIDTH = str.maketrans(
    {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#-"}
)


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


def chinese(n: int) -> str:
    """1..99 in Chinese numerals, written independently of the module under test."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as excinfo:
        address_parse(text)
    assert excinfo.value.field == "address"
    return excinfo.value.message


# --- one house, many spellings ------------------------------------------------------------------------

VARIANTS = [
    "东湖区八一大道123号1栋2单元301",
    "八一大道123号1栋2单元301",
    "八一大道123号1栋2单元301室",
    "八一大道123号1幢2单元301",
    "八一大道123号1座2单元301房",
    "八一大道123号1号楼2单元301",
    "八一大道123号1楼2单元301",
    "八一大道123号1#2单元301",
    "八一大道123号1#楼2单元301室",
    "八一大道123号1＃楼2单元301",
    "八一大道123号第1栋第2单元301",
    "八一大道123号一栋二单元301",
    "八一大道123号一号楼两单元301室",
    "八一大道123号1栋2-301",
    "八一大道123号1栋2－301",
    "八一大道123号1-2-301",
    "八一大道123号1栋2单元301号",
    "八一大道123号1栋2单元301户",
    "八一大道123号1栋2单元0301",
    "八一大道123号1栋2单元3楼301",
    "八一大道１２３号１栋２单元３０１",
    "八一大道 123 号 1 栋 2 单元 301 室",
    "八一大道\u3000123号\u30001栋\u30002单元\u3000301",
    " 八一大道123号1栋2单元301 ",
    "八一大道0123号01栋02单元301",
    "江西省南昌市东湖区八一大道123号1栋2单元301",
    "江西南昌东湖区八一大道123号1栋2单元301",
    "中国江西省南昌市东湖区八一大道123号1栋2单元301室",
    "南昌市东湖区公园街道八一大道123号1栋2单元301",
    "南昌八一大道123号1栋2单元301",
    "东湖区公园街道办事处八一社区居委会八一大道123号1栋2单元301",
    "东湖区八一社区八一大道123号1栋2单元301",
    "恒茂小区八一大道123号1栋2单元301",
    "八一大道123号恒茂小区1栋2单元301",
    "八一大道123号恒茂国际华城1#楼2-301室",
    "八一大道123号（东门）1栋2单元301",
    "八一大道123号，1栋，2单元，301室",
    "八一大道123號1棟2單元301",
]


@pytest.mark.parametrize("text", VARIANTS)
def test_it_resolves_every_variant_to_one_house(text):
    assert address_keys(text) == (BUILDING, HOUSE)


def test_it_has_at_least_twenty_five_variants_of_one_house():
    assert len(set(VARIANTS)) >= 25


def test_it_reads_the_parts_of_the_standard_form():
    assert address_parse("东湖区八一大道123号1栋2单元301") == AddressParts(
        road="八一大道", number="123", building="1", unit=2, room="301", floor=3
    )


# --- different places stay different ------------------------------------------------------------------

DIFFERENT = [
    ("八一大道12号1栋2单元301", "八一大道123号1栋2单元301"),
    ("八一大道123号1栋2单元301", "八一大道123号11栋2单元301"),
    ("八一大道123号1栋2单元301", "八一大道123号1栋3单元301"),
    ("八一大道123号1栋2单元301", "八一大道123号1栋2单元302"),
    ("八一大道123号1栋2单元301", "八一大道123号1栋2单元3011"),
    ("八一大道123号1栋2单元301", "八一路123号1栋2单元301"),
    ("中山路5号1栋301", "中山西路5号1栋301"),
    ("八一大道123号1栋301", "八一大道123-1号1栋301"),
    ("八一大道123号1栋301", "八一大道123甲号1栋301"),
    ("八一大道123号1栋301", "八一大道123号1栋1单元301"),
    ("八一大道123号1栋2单元301", "八一大道123号12栋301"),
    ("八一大道123号1栋2单元301", "八一大道123号12单元301"),
    ("八一大道123号1栋101", "八一大道123号1栋B101"),
    ("八一大道123号A栋301", "八一大道123号B栋301"),
    ("八一大道123号1栋A301", "八一大道123号1栋301"),
    ("八一大道123号十一栋301", "八一大道123号十栋301"),
    ("八一大道123号二十一栋301", "八一大道123号二十栋301"),
]


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_it_keeps_different_houses_apart(one, other):
    assert address_keys(one)[1] != address_keys(other)[1]


def test_it_gives_no_house_key_to_an_address_without_a_room():
    assert address_keys("八一大道123号") == ("八一大道/123/", None)
    assert address_keys("八一大道123号1栋") == (BUILDING, None)
    assert address_keys("八一大道123号1栋2单元") == (BUILDING, None)
    assert address_parse("八一大道123号").building == ""


def test_it_tolerates_a_compound_name_after_the_number():
    assert address_parse("八一大道123号恒茂小区").building == ""
    assert address_parse("八一大道123号恒茂小区1栋").building == "1"


def test_it_reads_a_room_without_a_building():
    assert address_keys("八一大道123号301室") == ("八一大道/123/", "八一大道/123//0/301")
    assert address_keys("八一大道123号2单元301") == ("八一大道/123/", "八一大道/123//2/301")


def test_it_takes_a_bare_number_at_the_end_as_the_door_number():
    assert address_keys("八一大道 123") == ("八一大道/123/", None)


# --- roads --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "road"),
    [
        ("八一大道123号", "八一大道"),
        ("中山西路5号", "中山西路"),
        ("南昌市北京西路5号", "北京西路"),
        ("江西南昌北京西路5号", "北京西路"),
        ("东湖区区府路1号", "区府路"),
        ("南昌市市府路1号", "市府路"),
        ("东湖区人民广场东路8号", "人民广场东路"),
        ("上海路3号", "上海路"),
        ("沿江北大道3号", "沿江北大道"),
        ("新余北大道3号", "新余北大道"),
        ("东湖区公园街道民德路5号", "民德路"),
        ("南锣鼓巷8号", "南锣鼓巷"),
        ("帽儿胡同8号", "帽儿胡同"),
        ("大士院弄8号", "大士院弄"),
        ("中山路解放里5号", "中山路解放里"),
    ],
)
def test_it_reads_the_road_up_to_its_suffix_before_the_number(text, road):
    assert address_parse(text).road == road


def test_road_key_folds_width_and_spaces_and_drops_places_before_the_road():
    assert road_key("八一大道") == "八一大道"
    assert road_key(" 八一 大道 ") == "八一大道"
    assert road_key("东湖区八一大道") == "八一大道"
    assert road_key("Ｇ１０５国道") == "G105国道"
    assert road_key("北京西路") == "北京西路"


# --- numbers, buildings, rooms, floors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("八一大道123号", "123"),
        ("八一大道0123号", "123"),
        ("八一大道123-1号", "123-1"),
        ("八一大道123甲号", "123甲"),
    ],
)
def test_it_normalises_the_door_number(text, number):
    assert address_parse(text).number == number


@pytest.mark.parametrize(
    ("tail", "building"),
    [("A座", "A"), ("a栋", "A"), ("12B栋", "12B"), ("十一栋", "11"), ("九十九栋", "99"), ("二十栋", "20")],
)
def test_it_normalises_the_building(tail, building):
    assert address_parse("八一大道123号" + tail).building == building


@pytest.mark.parametrize(
    ("tail", "room", "floor"),
    [
        ("1栋301", "301", 3),
        ("1栋1203", "1203", 12),
        ("1栋B101", "B101", -1),
        ("1栋-101", "B101", -1),
        ("1栋b201", "B201", -2),
        ("1栋A301", "A301", 3),
        ("1栋a301室", "A301", 3),
        ("1栋５", "5", 1),
    ],
)
def test_it_derives_the_floor_from_the_room(tail, room, floor):
    parts = address_parse("八一大道123号" + tail)
    assert (parts.room, parts.floor) == (room, floor)


def test_it_has_no_floor_without_a_room():
    assert address_parse("八一大道123号1栋").floor is None


# --- refusals -----------------------------------------------------------------------------------------


def test_it_refuses_an_empty_address():
    assert refusal("  ") == "an address is required"


def test_it_refuses_an_address_without_a_road():
    assert "names no road" in refusal("恒茂小区1栋2单元301")
    assert "names no road" in refusal("路123号")


def test_it_refuses_an_address_without_a_door_number_and_names_the_road():
    message = refusal("东湖区公园街道八一大道1栋2单元301")
    assert "no door number after the road 八一大道" in message
    assert "no door number" in refusal("八一大道123号楼")
    assert "no door number" in refusal("八一大道1234567号")


@pytest.mark.parametrize(
    "text",
    [
        "八一大道123号2-301",  # 2 may be a building or a unit
        "八一大道123号恒茂2期1栋301",  # digits in what would be dropped as a name
        "八一大道123号恒茂二期1栋301",
        "八一大道123号恒茂A区1栋301",
        "八一大道123号1栋2单元301张三家",
        "八一大道123号1栋0单元301",
        "八一大道123号1栋1234单元301",
    ],
)
def test_it_refuses_a_building_unit_or_room_it_cannot_read(text):
    assert refusal(text).startswith("cannot read")


def test_it_refuses_text_longer_than_the_cap():
    assert refusal("八" * (MAX_LENGTH + 1)) == "an address has at most 300 characters"
    assert address_keys("八" * (MAX_LENGTH - 8) + "大道123号") == (
        "八" * (MAX_LENGTH - 8) + "大道/123/",
        None,
    )


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\ud800"])
def test_it_refuses_control_characters(char):
    assert "the address contains" in refusal(f"八一大道123号{char}1栋")


# --- keys and written forms -----------------------------------------------------------------------------


def test_building_key_normalises_parts_passed_as_written():
    assert building_key("八一大道", "123", "1") == BUILDING
    assert building_key("东湖区 八一大道", "123号", "1号楼") == BUILDING
    assert building_key("八一大道", "１２３", "一栋") == BUILDING
    assert building_key("八一大道", "123", "") == "八一大道/123/"


def test_a_named_building_is_no_part_of_the_key_as_the_parser_drops_names():
    key = building_key("八一大道", "123", "恒茂大厦")
    assert key == "八一大道/123/"
    assert address_keys(building_address("八一大道", "123", "恒茂大厦"))[0] == key
    assert building_key("八一大道", "123", "恒茂大厦A座") == "八一大道/123/A"


def test_house_key_writes_no_unit_as_zero():
    assert house_key(BUILDING, 2, "301") == HOUSE
    assert house_key(BUILDING, None, "301室") == "八一大道/123/1/0/301"
    assert house_key(BUILDING, 2, "-101") == "八一大道/123/1/2/B101"


def test_the_written_standard_address_reads_back_to_its_keys():
    written = building_address("八一大道", "123", "1")
    assert written == "八一大道123号1栋"
    assert house_address(written, 2, "301") == "八一大道123号1栋2单元301室"
    assert house_address(written, None, "301") == "八一大道123号1栋301室"
    assert building_address("八一大道", "123", "") == "八一大道123号"
    assert address_keys(house_address(written, 2, "301")) == (BUILDING, HOUSE)


def test_search_terms_fold_width_and_spaces():
    assert search_terms(" 八一大道 １２３号\u3000ａ座 ") == "八一大道123号A座"
    assert search_terms("") == ""
    with pytest.raises(InvalidInput):
        search_terms("x" * (MAX_LENGTH + 1))
    with pytest.raises(InvalidInput):
        search_terms("八一\x00")


# --- properties ---------------------------------------------------------------------------------------

ADDRESS_ALPHABET = st.sampled_from(
    list("0123456789０１２３-－#＃ABab一二十两第号栋幢座楼单元室房户层路街巷道大里弄区市省社小（）() \u3000,")
)
ANY_TEXT = st.one_of(
    st.text(max_size=80),
    st.text(ADDRESS_ALPHABET, max_size=60),
    st.builds(lambda a, b: f"八一大道{a}号{b}", st.text(ADDRESS_ALPHABET, max_size=8), st.text(max_size=30)),
    st.text(min_size=290, max_size=320),
)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT)
def test_any_text_gives_parts_or_invalid_input(text):
    try:
        parts = address_parse(text)
    except InvalidInput as refused:
        assert refused.field == "address"
    else:
        assert isinstance(parts, AddressParts)
        assert parts.road and parts.number
        assert (parts.floor is None) == (parts.room == "")


ROADS = [
    "帽儿胡同",
    "八一大道",
    "中山西路",
    "阳明路",
    "北京西路",
    "象山北路",
    "沿江北大道",
    "南锣鼓巷",
    "百花洲路",
    "二七北路",
]
PREFIXES = [
    "",
    "东湖区",
    "南昌市东湖区",
    "江西省南昌市东湖区",
    "中国江西南昌东湖区",
    "江西南昌",
    "东湖区公园街道八一社区",
    "南昌市东湖区大院街道办事处",
    "恒茂小区",
]
SPACES = st.sampled_from(["", "", " ", "\u3000", "  "])


@st.composite
def written_house(draw):
    """A structured address and one of its spellings: (spelling, canonical house key)."""
    road = draw(st.sampled_from(ROADS))
    door = draw(st.integers(1, 999))
    door_suffix = draw(st.sampled_from(["", "", "-2", "甲"]))
    number = f"{door}{door_suffix}"
    building = draw(st.one_of(st.none(), st.integers(1, 99), st.sampled_from("ABC")))
    unit = draw(st.one_of(st.none(), st.integers(1, 9)))
    kind = draw(st.sampled_from(["plain", "plain", "basement", "lettered"]))
    storey, door_on_floor = draw(st.integers(1, 33)), draw(st.integers(1, 4))
    room = f"{storey}{door_on_floor:02d}"
    if kind == "basement":
        room = f"B{storey % 3 + 1}{door_on_floor:02d}"
    elif kind == "lettered":
        room = f"A{room}"
    canonical = house_key(building_key(road, number, "" if building is None else str(building)), unit, room)

    number_spelling = draw(
        st.sampled_from([f"{number}号", full_width(number) + "号", f"0{number}号", f"{number}號"])
    )
    compound = draw(st.sampled_from(["", "", "恒茂小区", "（东门）"]))
    if building is None:
        building_spelling = ""
    elif isinstance(building, int):
        spellings = [f"{building}{m}" for m in ("栋", "幢", "座", "号楼", "楼", "#", "#楼", "＃")]
        spellings += [f"第{building}栋", f"{chinese(building)}栋", f"{chinese(building)}号楼"]
        spellings += [full_width(str(building)) + "栋", f"0{building}栋"]
        building_spelling = draw(st.sampled_from(spellings))
    else:
        building_spelling = draw(
            st.sampled_from(
                [f"{building}栋", f"{building}座", f"{building.lower()}座", full_width(building) + "座"]
            )
        )
    plain_room = kind == "plain"
    if unit is None:
        unit_spelling = ""
    else:
        spellings = [f"{unit}单元", f"{chinese(unit)}单元", f"第{unit}单元", full_width(str(unit)) + "单元"]
        if building is not None and plain_room:
            spellings += [f"{unit}-", f"{unit}－"]
        unit_spelling = draw(st.sampled_from(spellings))
    room_spellings = [
        room,
        f"{room}室",
        f"{room}房",
        f"{room}号",
        f"{room}户",
        full_width(room),
        room.lower(),
    ]
    if plain_room:
        room_spellings.append(f"0{room}")
        if building is not None:  # "3楼301" alone would read 3 as the building
            room_spellings += [f"{storey}楼{room}", f"{storey}层{room}"]
    if kind == "basement":
        room_spellings.append("-" + room[1:])
    if unit_spelling.endswith(("-", "－")):
        room_spellings = [room, f"{room}室", full_width(room)]
    room_spelling = draw(st.sampled_from(room_spellings))

    parts = [draw(st.sampled_from(PREFIXES)), road, number_spelling, compound, building_spelling]
    parts += [unit_spelling, room_spelling]
    if isinstance(building, int) and unit is not None and plain_room and draw(st.booleans()):
        parts[-3:] = [f"{building}-{unit}-{room}"]  # the building-unit-room form
    spelling = "".join(part + draw(SPACES) for part in parts)
    return spelling, canonical


@settings(max_examples=500, deadline=None)
@given(house=written_house())
def test_every_spelling_of_a_structured_address_gives_its_canonical_house_key(house):
    spelling, canonical = house
    assert address_keys(spelling)[1] == canonical, spelling
