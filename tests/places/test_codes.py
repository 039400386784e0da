"""Unified social credit codes (GB 32100-2015) and facility codes (CJ/T 214): normalising, checking and
refusing with a message that says what is wrong."""

import pytest

from gridmgmt.errors import InvalidInput
from places import codes

# Real codes, quoted in public (the first is the usual worked example). The check character of the first,
# worked by hand with the charset values (M = 21, Y = 30) and the weights 1, 3, 9, 27, 19, 26, 16, 17, 20,
# 29, 25, 13, 8, 24, 10, 30, 28: 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + 21·20 + 1·8 + 30·30 + 4·28 = 1640;
# 1640 mod 31 = 28; 31 − 28 = 3. The second: 9 + 3 + 36 + 108 + 78 + 140 + 200 + 52 + 48 + 24 + 10 + 90 + 168
# = 966; 966 mod 31 = 5; 31 − 5 = 26, the charset's T.
REAL_CODES = ("91350100M000100Y43", "91440300708461136T", "91110108551385082Q")


def _credit_message(raw: str) -> str:
    with pytest.raises(InvalidInput) as excinfo:
        codes.credit_code_validate(raw)
    assert excinfo.value.field == "credit_code"
    return excinfo.value.message


def _facility_message(raw: str) -> str:
    with pytest.raises(InvalidInput) as excinfo:
        codes.facility_code_parse(raw)
    assert excinfo.value.field == "code"
    return excinfo.value.message


# --- credit codes: accepted ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_credit_codes(code):
    assert codes.credit_code_validate(code) == code


def test_the_check_characters_of_the_hand_worked_codes():
    assert codes.credit_code_check_character("91350100M000100Y4") == "3"
    assert codes.credit_code_check_character("91440300708461136") == "T"


def test_a_check_value_of_zero_gives_the_character_0():
    # (31 - 0) % 31 = 0: without the outer modulo the index would be 31, past the charset's end.
    assert codes.credit_code_check_character("0" * 17) == "0"


@pytest.mark.parametrize("first17", ["91360100MA35ABCDE", "12360100491234567", "Y1360102MA3NXXXXX"])
def test_completed_codes_pass_validation(first17):
    code = codes.credit_code_complete(first17)
    assert len(code) == 18
    assert code[:17] == first17
    assert codes.credit_code_validate(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "91350100m000100y43",  # lowercase
        " 9135 0100 M000 100Y 43 ",  # spaces, as read aloud or copied from a licence
        "\u3000９１３５０１００Ｍ０００１００Ｙ４３",  # full-width, with an ideographic space
        "９１３５０１００ｍ０００１００ｙ４３",  # full-width lowercase
    ],
)
def test_it_normalises_what_people_type(typed):
    assert codes.credit_code_validate(typed) == "91350100M000100Y43"


def test_completing_normalises_too():
    assert codes.credit_code_complete("91350100m000100y4") == "91350100M000100Y43"


# --- credit codes: refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_it_requires_a_credit_code(raw):
    assert _credit_message(raw) == "a unified social credit code is required"


@pytest.mark.parametrize("raw, n", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("9135", 4)])
def test_it_counts_the_characters_of_a_code_of_the_wrong_length(raw, n):
    assert _credit_message(raw) == f"a unified social credit code has 18 characters, this one has {n}"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_it_names_a_letter_the_standard_leaves_out_and_its_position(letter):
    code = "91350100M000100Y43"
    message = _credit_message(code[:9] + letter + code[10:])
    assert message.startswith(f"{letter} (position 10) cannot be in a unified social credit code")


def test_it_names_a_character_that_is_no_letter_or_digit():
    assert _credit_message("91350100M000100Y4-").startswith("- (position 18) cannot be")


def test_it_refuses_a_superscript_digit_instead_of_reading_it_as_2():
    assert _credit_message("91350100M000100Y4²").startswith("² (position 18) cannot be")


def test_it_refuses_a_division_code_with_letters():
    message = _credit_message(codes.credit_code_complete("9136A100MA35ABCDE"))
    assert "administrative division code, 6 digits; here they are 36A100" in message


def test_it_refuses_a_wrong_check_character_naming_both():
    message = _credit_message("91350100M000100Y44")
    assert message == (
        "wrong check character 4: the first 17 characters of this unified social credit code give 3 "
        "(GB 32100)"
    )


def test_a_swapped_pair_of_characters_fails_the_check():
    code = "91440300708461136T"
    swapped = code[:9] + code[10] + code[9] + code[11:]
    assert "wrong check character" in _credit_message(swapped)


def test_the_check_character_helper_refuses_what_is_not_17_charset_characters():
    with pytest.raises(ValueError):
        codes.credit_code_check_character("9135")
    with pytest.raises(ValueError):
        codes.credit_code_check_character("91350100I000100Y4")


# --- facility codes -----------------------------------------------------------------------------------


def test_compose_writes_district_class_and_zero_padded_serial():
    assert codes.facility_code_compose("360102", "0101", 1) == "3601020101000001"
    assert codes.facility_code_compose("360102", "0303", 999_999) == "3601020303999999"


@pytest.mark.parametrize("serial", [1, 42, 123_456, 999_999])
def test_compose_and_parse_round_trip(serial):
    code = codes.facility_code_compose("360102", "0116", serial)
    parts = codes.facility_code_parse(code)
    assert parts == codes.FacilityCode(district="360102", major="01", minor="16", serial=serial)
    assert parts.class_code == "0116"
    assert parts.code == code
    assert str(parts) == code


@pytest.mark.parametrize("serial", [0, -1, 1_000_000, True, 1.0, "1"])
def test_compose_refuses_a_serial_outside_1_to_999999(serial):
    with pytest.raises(InvalidInput) as excinfo:
        codes.facility_code_compose("360102", "0101", serial)
    assert "a whole number from 1 to 999999" in excinfo.value.message
    assert excinfo.value.field == "code"


@pytest.mark.parametrize("district", ["36010", "3601020", "36O102", "３６０１０２", "36010²", "000000"])
def test_compose_refuses_a_district_code_that_is_not_6_digits(district):
    with pytest.raises(InvalidInput) as excinfo:
        codes.facility_code_compose(district, "0101", 1)
    assert "the district's 6-digit code" in excinfo.value.message


@pytest.mark.parametrize("class_code", ["01", "010", "01011", "0100", "0001", "01a1"])
def test_compose_refuses_what_is_not_a_minor_class_code(class_code):
    with pytest.raises(InvalidInput) as excinfo:
        codes.facility_code_compose("360102", class_code, 1)
    assert f"the 4-digit code of a minor class (major and minor, neither 00), not {class_code}" in (
        excinfo.value.message
    )


@pytest.mark.parametrize(
    "typed", [" 3601020101000001 ", "3601 0201 0100 0001", "３６０１０２０１０１０００００１"]
)
def test_parse_normalises_spaces_and_full_width_digits(typed):
    assert codes.facility_code_parse(typed).code == "3601020101000001"


def test_parse_requires_a_code():
    assert _facility_message("  ") == "a facility code is required"


@pytest.mark.parametrize("raw, n", [("360102010100001", 15), ("36010201010000011", 17), ("3601", 4)])
def test_parse_counts_the_characters_of_a_code_of_the_wrong_length(raw, n):
    assert _facility_message(raw) == f"a facility code has 16 digits, this one has {n} characters"


@pytest.mark.parametrize(
    "raw, character, position", [("360102010100000²", "²", 16), ("3601O20101000001", "O", 5)]
)
def test_parse_names_a_character_that_is_not_an_ascii_digit(raw, character, position):
    assert _facility_message(raw) == (
        f"a facility code is 16 digits: {character} (position {position}) is not one"
    )


def test_parse_refuses_the_serial_000000():
    assert "serial number and start at 000001" in _facility_message("3601020101000000")


def test_parse_refuses_the_district_000000():
    assert "cannot be 000000" in _facility_message("0000000101000001")


@pytest.mark.parametrize("raw, class_code", [("3601020001000001", "0001"), ("3601020100000001", "0100")])
def test_parse_refuses_a_class_with_major_or_minor_00(raw, class_code):
    assert f"neither 00), not {class_code}" in _facility_message(raw)
