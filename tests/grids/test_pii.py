"""GB 11643 ID numbers, phones, masking, field encryption, the keyed hash and key rotation."""

from datetime import date

import pytest
from cryptography.fernet import Fernet

from gridmgmt.errors import InvalidInput
from grids import pii

from .resident_factories import check_char, id_number

TODAY = date(2024, 6, 15)


def _id(first17: str) -> str:
    return first17 + check_char(first17)


def _message(raw: str) -> str:
    with pytest.raises(InvalidInput) as excinfo:
        pii.id_number_validate(raw, today=TODAY)
    assert excinfo.value.field == "id_number"
    return excinfo.value.message


# --- ID numbers ---------------------------------------------------------------------------------------


def test_it_accepts_the_standards_example_with_check_x():
    info = pii.id_number_validate("11010519491231002X", today=TODAY)
    assert info.number == "11010519491231002X"
    assert info.birth_date == date(1949, 12, 31)
    assert info.gender == "F"  # 17th digit 2 is even


def test_it_normalises_lowercase_x_and_surrounding_spaces():
    assert pii.id_number_validate("  11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_it_derives_male_from_an_odd_17th_digit():
    info = pii.id_number_validate(_id("36010219900307123"), today=TODAY)
    assert info.gender == "M"
    assert info.birth_date == date(1990, 3, 7)


def test_it_rejects_a_wrong_check_character_and_names_the_expected_one():
    good = _id("36010219900307123")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    message = _message(wrong)
    assert f"wrong check character {wrong[17]}" in message
    assert f"give {good[17]}" in message


def test_it_rejects_x_where_a_digit_is_expected():
    good = _id("36010219900307123")
    assert good[17] != "X"
    assert "wrong check character X" in _message(good[:17] + "X")


def test_it_rejects_a_digit_where_x_is_expected():
    assert "give X" in _message("110105194912310021")


def test_it_accepts_feb_29_in_a_leap_year():
    assert pii.id_number_validate(_id("36010220000229123"), today=TODAY).birth_date == date(2000, 2, 29)
    assert pii.id_number_validate(_id("36010219960229123"), today=TODAY).birth_date == date(1996, 2, 29)


@pytest.mark.parametrize("birth", ["20010229", "19000229", "19990229"])
def test_it_rejects_feb_29_in_a_non_leap_year(birth):
    # 1900 is not a leap year (divisible by 100, not by 400); 2001 and 1999 are plain non-leap years.
    assert f"the birth date {birth} in the ID number is not a real date" in _message(_id(f"360102{birth}123"))


@pytest.mark.parametrize("birth", ["19901301", "19900431", "19900000", "19900100"])
def test_it_rejects_impossible_dates(birth):
    assert "is not a real date" in _message(_id(f"360102{birth}123"))


def test_it_rejects_a_birth_date_in_the_future():
    assert "20240616 in the ID number is in the future" in _message(_id("36010220240616123"))


def test_it_accepts_a_birth_date_of_today():
    assert pii.id_number_validate(_id("36010220240615123"), today=TODAY).birth_date == TODAY


def test_it_rejects_a_birth_date_before_1900():
    # A real-format example from the standard itself (1880, valid check character): too old for a register.
    assert "18800101 in the ID number is before 1900" in _message("440524188001010014")


def test_it_accepts_1900_01_01():
    assert pii.id_number_validate(_id("36010219000101123"), today=TODAY).birth_date == date(1900, 1, 1)


def test_it_rejects_17_characters():
    assert _message("36010219900307123") == "an ID number has 18 characters, this one has 17"


def test_it_rejects_19_characters():
    assert "this one has 19" in _message(_id("36010219900307123") + "1")


def test_it_rejects_letters_among_the_first_17():
    assert _message("3601021990030A123X") == "the first 17 characters of an ID number must be digits"


def test_it_rejects_full_width_digits():
    assert "must be digits" in _message("３６０１０２１９９００３０７１２３Ｘ")


def test_it_rejects_a_last_character_that_is_neither_digit_nor_x():
    assert _message("36010219900307123Y") == "the last character of an ID number must be a digit or X"


def test_it_requires_an_id_number():
    assert _message("  ") == "an ID number is required"


def test_messages_never_repeat_the_whole_number():
    bad = _id("36010219900307123")[:17] + "0"
    assert bad not in _message(bad)


def test_check_character_matches_the_independent_test_helper():
    for seq in range(0, 1000, 37):
        number = id_number(seq=seq)
        assert pii.id_check_character(number[:17]) == number[17]


# --- phones -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("199 1234 5678", "19912345678"),
        ("+8613812345678", "13812345678"),
        ("0791-86123456", "0791-86123456"),
        ("010-12345678", "010-12345678"),
        ("079186123456", "079186123456"),
        ("0791-86123456-123", "0791-86123456-123"),
        ("", ""),
    ],
)
def test_it_accepts_mobiles_and_landlines(raw, clean):
    assert pii.phone_validate(raw) == clean


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "86123456", "abc", "1-800-FLOWERS"]
)
def test_it_rejects_other_phone_numbers(raw):
    with pytest.raises(InvalidInput) as excinfo:
        pii.phone_validate(raw)
    assert excinfo.value.field == "phone"


# --- masking ------------------------------------------------------------------------------------------


def test_it_masks_an_id_number_to_first_four_and_last_four():
    assert pii.mask_id_number("36010219900307123X") == "3601**********123X"


def test_it_masks_a_mobile_number():
    assert pii.mask_phone("13812345678") == "138****5678"


def test_it_masks_a_landline_keeping_the_same_shape():
    assert pii.mask_phone("0791-86123456") == "079******3456"


def test_it_masks_names():
    assert pii.mask_name("张三明") == "张*明"
    assert pii.mask_name("李四") == "李*"
    assert pii.mask_name("欧阳娜娜") == "欧**娜"


# --- encryption, hash, rotation -----------------------------------------------------------------------


def test_encryption_round_trips_and_is_not_deterministic():
    a, b = pii.encrypt("13812345678"), pii.encrypt("13812345678")
    assert a != b  # Fernet uses a random IV: equal values do not give equal ciphertexts
    assert "13812345678" not in a
    assert pii.decrypt(a) == pii.decrypt(b) == "13812345678"


def test_empty_values_stay_empty():
    assert pii.encrypt("") == ""
    assert pii.decrypt("") == ""


def test_rotation_keeps_old_ciphertexts_readable_then_moves_them_to_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    token = pii.encrypt("36010219900307123X")

    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"  # new key first: it encrypts, both decrypt
    assert pii.decrypt(token) == "36010219900307123X"
    rotated = pii.reencrypt(token)
    assert Fernet(new.encode()).decrypt(rotated.encode()) == b"36010219900307123X"

    settings.FIELD_ENCRYPTION_KEY = new  # old key removed
    assert pii.decrypt(rotated) == "36010219900307123X"
    with pytest.raises(pii.PiiKeyError):
        pii.decrypt(token)


def test_a_malformed_key_names_its_position(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},not-a-key"
    with pytest.raises(ImproperlyConfigured, match="key #2"):
        pii.encrypt("x")


def test_the_hash_depends_on_the_hash_key_not_on_the_encryption_key(settings):
    number = "11010519491231002X"
    settings.FIELD_HASH_KEY = "hash-key-one"
    first = pii.hash_id_number(number)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert pii.hash_id_number(number) == first
    assert len(first) == 64 and number not in first
    settings.FIELD_HASH_KEY = "hash-key-two"
    assert pii.hash_id_number(number) != first
