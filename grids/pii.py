"""Resident PII: field encryption (MultiFernet), keyed ID-number hash, GB 11643 and phone checks, masking.

Keys come from settings and are never stored with the data:
- FIELD_ENCRYPTION_KEY: one or more comma-separated Fernet keys. The first encrypts, every one decrypts, so
  rotation is "put a new key first, run `manage.py rotate_pii_key`, then drop the old key".
- FIELD_HASH_KEY: the HMAC-SHA256 key of `id_number_hash`. It is independent of the Fernet keys on purpose:
  rotating those must not change the hashes that uniqueness and search rely on.
"""

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_noop

from gridmgmt.errors import InvalidInput

# ISO 7064 MOD 11-2 as GB 11643 applies it: weights of the first 17 digits, check character by remainder.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landline: a 3–4 digit area code starting with 0, a 7–8 digit number, an optional extension.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


class PiiKeyError(ImproperlyConfigured):
    """Stored PII cannot be decrypted with the configured keys (a key was dropped before rotation ran)."""


# --- encryption ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _multifernet(keys_setting: str) -> MultiFernet:
    keys = [k.strip() for k in keys_setting.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds no key")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY key #{position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    # Keyed on the setting's value, so tests (and a reloaded setting) get the right keys without a restart.
    return _multifernet(settings.FIELD_ENCRYPTION_KEY)


def encrypt(text: str) -> str:
    """Fernet ciphertext of `text` under the first key; the empty string stays empty (nothing to hide)."""
    if not text:
        return ""
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise PiiKeyError(
            "cannot decrypt resident PII with the configured FIELD_ENCRYPTION_KEY keys: was a key dropped "
            "before `manage.py rotate_pii_key` re-encrypted the data with the new one?"
        ) from exc


def reencrypt(token: str) -> str:
    """The same plaintext encrypted under the current first key (what rotation does to every field)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise PiiKeyError("cannot re-encrypt: no FIELD_ENCRYPTION_KEY key opens this value") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A whole file encrypted (an uploaded import waiting for its worker holds PII in clear)."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise PiiKeyError("no configured FIELD_ENCRYPTION_KEY key opens the stored file") from exc


def hash_id_number(id_number: str) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number: stable across Fernet key rotations, useless without it."""
    return hmac.new(settings.FIELD_HASH_KEY.encode(), id_number.encode(), hashlib.sha256).hexdigest()


# --- validation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdNumber:
    """A valid GB 11643 citizen ID number and what it tells."""

    number: str  # normalised: 18 characters, uppercase X
    birth_date: date
    gender: str  # "M" (17th digit odd) or "F" (even)


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def id_number_validate(raw: str, *, today: date | None = None) -> IdNumber:
    """Check an ID number per GB 11643 and return it normalised (lowercase x → X), or raise InvalidInput.

    Messages name the failure but never repeat the whole number, so they are safe to log and store.
    """
    number = (raw or "").strip().upper()
    if not number:
        raise InvalidInput(gettext_noop("an ID number is required"), field="id_number")
    if len(number) != 18:
        raise InvalidInput(
            gettext_noop("an ID number has 18 characters, this one has %(n)s"),
            n=len(number),
            field="id_number",
        )
    if not number[:17].isascii() or not number[:17].isdigit():
        raise InvalidInput(
            gettext_noop("the first 17 characters of an ID number must be digits"), field="id_number"
        )
    if not (number[17].isascii() and number[17].isdigit()) and number[17] != "X":
        raise InvalidInput(
            gettext_noop("the last character of an ID number must be a digit or X"), field="id_number"
        )
    digits = number[6:14]
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidInput(
            gettext_noop("the birth date %(digits)s in the ID number is not a real date"),
            digits=digits,
            field="id_number",
        ) from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidInput(
            gettext_noop("the birth date %(digits)s in the ID number is before 1900"),
            digits=digits,
            field="id_number",
        )
    if birth_date > (today or timezone.localdate()):
        raise InvalidInput(
            gettext_noop("the birth date %(digits)s in the ID number is in the future"),
            digits=digits,
            field="id_number",
        )
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise InvalidInput(
            gettext_noop(
                "wrong check character %(got)s: the first 17 digits give %(expected)s (ISO 7064 MOD 11-2)"
            ),
            got=number[17],
            expected=expected,
            field="id_number",
        )
    return IdNumber(number=number, birth_date=birth_date, gender="M" if int(number[16]) % 2 else "F")


def phone_validate(raw: str) -> str:
    """A Chinese mobile (1[3-9] + 9 digits) or landline (0xx(x)-xxxxxxx(x)[-ext]) number, spaces removed.

    The empty string is allowed (phone is optional); anything else that matches neither pattern is refused.
    """
    phone = re.sub(r"\s+", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        return ""
    if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone):
        return phone
    raise InvalidInput(
        gettext_noop(
            "a phone number must be a mobile number (11 digits, 13x–19x) or a landline such as 0791-86123456"
        ),
        field="phone",
    )


# --- masking ------------------------------------------------------------------------------------------


def mask_id_number(number: str) -> str:
    """`3601**********123X`: the first 4 and last 4 characters, the rest starred."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """`138****5678` for a mobile; any other number keeps its first 3 and last 4 characters likewise."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """`张*明` / `张*`: the family name and, for three or more characters, the last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
