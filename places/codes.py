"""Codes of the base data, checked without the database: the unified social credit code (GB 32100-2015)
and the 16-digit facility code (CJ/T 214).

Both accept what people type: spaces, lowercase letters and the full-width digits and letters of a Chinese
input method are normalised away before checking. Each refusal says what is wrong and where.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from gridmgmt.errors import InvalidInput

# GB 32100-2015: digits and capital letters without I, O, Z, S and V (easily misread); a character's value
# is its index here.
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18

FACILITY_CODE_LENGTH = 16
FACILITY_SERIAL_MAX = 999_999

# Full-width digits and letters (U+FF10–FF19, FF21–FF3A, FF41–FF5A) to ASCII: what a Chinese input method
# types in full-width mode. Only these; other look-alikes (superscripts, circled digits) stay as typed and
# are refused by name.
_FULL_WIDTH = {
    code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_SPACE_RE = re.compile(r"\s+")  # Unicode whitespace, the ideographic space U+3000 included
_DIVISION_RE = re.compile(r"\d{6}", re.ASCII)
_DIGITS_RE = re.compile(r"\d+", re.ASCII)  # str.isdigit() would accept "²" and "٣"


def _normalised(raw: str | None) -> str:
    text = _SPACE_RE.sub("", (raw or "").translate(_FULL_WIDTH))
    # Uppercase ASCII only: str.upper() turns "ß" into "SS", which would misplace every position after it.
    return "".join(character.upper() if character.isascii() else character for character in text)


# --- unified social credit code (统一社会信用代码) -------------------------------------------------------


def credit_code_check_character(first17: str) -> str:
    """The check character (position 18) of a credit code whose first 17 characters are given.

    Raises ValueError when `first17` is not 17 characters of the code's character set: callers check that
    first (credit_code_validate does).
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"a credit code's check needs 17 characters, got {len(first17)}")
    total = 0
    for character, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True):
        value = CREDIT_CODE_CHARACTERS.find(character)
        if value < 0:
            raise ValueError(f"{character!r} is not a credit code character")
        total += value * weight
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def credit_code_complete(first17: str) -> str:
    """A valid credit code made of `first17` (normalised) and its check character: for tests and the demo."""
    first17 = _normalised(first17)
    return first17 + credit_code_check_character(first17)


def credit_code_validate(raw: str) -> str:
    """Check a unified social credit code per GB 32100-2015 and return it normalised, or raise InvalidInput.

    Positions: 1 the registration authority, 2 the organisation type, 3–8 the administrative division code,
    9–17 the organisation's own code, 18 the check character. The authority and type codes are not checked
    against a list: the authorities' lists grow, and a wrong one is caught by the check character anyway.
    """
    code = _normalised(raw)
    if not code:
        raise InvalidInput(gettext_noop("a unified social credit code is required"), field="credit_code")
    if len(code) != CREDIT_CODE_LENGTH:
        raise InvalidInput(
            gettext_noop("a unified social credit code has 18 characters, this one has %(n)s"),
            n=len(code),
            field="credit_code",
        )
    for position, character in enumerate(code, start=1):
        if character not in CREDIT_CODE_CHARACTERS:
            raise InvalidInput(
                gettext_noop(
                    "%(character)s (position %(position)s) cannot be in a unified social credit code: "
                    "it holds digits and capital letters except I, O, S, V and Z"
                ),
                character=character,
                position=position,
                field="credit_code",
            )
    division = code[2:8]
    if not _DIVISION_RE.fullmatch(division):
        raise InvalidInput(
            gettext_noop(
                "positions 3–8 of a unified social credit code are the administrative division code, "
                "6 digits; here they are %(division)s"
            ),
            division=division,
            field="credit_code",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise InvalidInput(
            gettext_noop(
                "wrong check character %(got)s: the first 17 characters of this unified social credit code "
                "give %(expected)s (GB 32100)"
            ),
            got=code[17],
            expected=expected,
            field="credit_code",
        )
    return code


# --- facility code (部件编码, CJ/T 214) ----------------------------------------------------------------


@dataclass(frozen=True)
class FacilityCode:
    """A facility code's parts: the district's 6-digit code, the class's 2-digit major and 2-digit minor,
    a serial number within the district and class."""

    district: str
    major: str
    minor: str
    serial: int

    @property
    def class_code(self) -> str:
        """The 4-digit minor class code (FacilityClass.code)."""
        return self.major + self.minor

    @property
    def code(self) -> str:
        return f"{self.district}{self.major}{self.minor}{self.serial:06d}"

    def __str__(self) -> str:
        return self.code


def _digits(text: str) -> bool:
    return bool(_DIGITS_RE.fullmatch(text))


def facility_code_compose(district_code: str, class_code: str, serial: int) -> str:
    """The 16-digit code of a facility: district code + 4-digit minor class code + 6-digit serial."""
    if not (len(district_code) == 6 and _digits(district_code)) or district_code == "000000":
        raise InvalidInput(
            gettext_noop("a facility code starts with the district's 6-digit code, not %(district)s"),
            district=district_code,
            field="code",
        )
    if not (len(class_code) == 4 and _digits(class_code)) or "00" in (class_code[:2], class_code[2:]):
        raise InvalidInput(
            gettext_noop(
                "a facility code needs the 4-digit code of a minor class (major and minor, neither 00), "
                "not %(class_code)s"
            ),
            class_code=class_code,
            field="code",
        )
    # bool is an int; True would become serial 000001.
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= FACILITY_SERIAL_MAX:
        raise InvalidInput(
            gettext_noop("a facility's serial number is a whole number from 1 to 999999, not %(serial)s"),
            serial=serial,
            field="code",
        )
    return f"{district_code}{class_code}{serial:06d}"


def facility_code_parse(raw: str) -> FacilityCode:
    """Split a 16-digit facility code into its parts, or raise InvalidInput saying what is wrong.

    Whether the class exists is not checked here (that needs the database): see places.services.
    """
    code = _normalised(raw)
    if not code:
        raise InvalidInput(gettext_noop("a facility code is required"), field="code")
    if len(code) != FACILITY_CODE_LENGTH:
        raise InvalidInput(
            gettext_noop("a facility code has 16 digits, this one has %(n)s characters"),
            n=len(code),
            field="code",
        )
    for position, character in enumerate(code, start=1):
        if not _digits(character):
            raise InvalidInput(
                gettext_noop(
                    "a facility code is 16 digits: %(character)s (position %(position)s) is not one"
                ),
                character=character,
                position=position,
                field="code",
            )
    parts = FacilityCode(district=code[:6], major=code[6:8], minor=code[8:10], serial=int(code[10:]))
    if parts.district == "000000":
        raise InvalidInput(
            gettext_noop(
                "the first 6 digits of a facility code are the district's code and cannot be 000000"
            ),
            field="code",
        )
    if parts.major == "00" or parts.minor == "00":
        raise InvalidInput(
            gettext_noop(
                "digits 7–10 of a facility code are its minor class (major and minor, neither 00), "
                "not %(class_code)s"
            ),
            class_code=parts.class_code,
            field="code",
        )
    if parts.serial == 0:
        raise InvalidInput(
            gettext_noop("the last 6 digits of a facility code are its serial number and start at 000001"),
            field="code",
        )
    return parts
