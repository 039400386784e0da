"""Who hears of a public case, and of a grid's new cases: followers (reporter, supporters, anyone), grid
subscriptions, and the notices the NoticeRule rows say each public step sends (after commit, through the
notifications queue, in each reader's language).

Contacts are personal data: kept encrypted (grids.pii), found by a keyed hash, shown to no public page.
"""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import get_language, gettext_noop

from gridmgmt import clock
from gridmgmt.errors import InvalidInput
from grids import pii

from .models import Channel, Follower


def contact_parse(text: str) -> tuple[str, str]:
    """An e-mail address or a Chinese phone number as a resident types it → (channel, normalised address).
    Refused (field "contact") when it is neither."""
    text = (text or "").strip()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise InvalidInput(
                gettext_noop("give an e-mail address such as name@example.com, or a phone number"),
                field="contact",
            ) from exc
        local, _at, domain = text.rpartition("@")
        return Channel.EMAIL, f"{local}@{domain.lower()}"
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return Channel.SMS, digits
    raise InvalidInput(
        gettext_noop("give an e-mail address, or a mobile number of 11 digits (13x–19x)"), field="contact"
    )


def address_hash(address: str) -> str:
    """The keyed hash that finds a contact without decrypting every row (the registry's hash key)."""
    return hmac.new(
        settings.FIELD_HASH_KEY.encode(), f"contact:{address}".encode(), hashlib.sha256
    ).hexdigest()


def follower_add(
    *, case, kind: str, channel: str, address: str, language: str | None = None, user=None
) -> Follower:
    """Someone follows a case (its reporter, a supporter, anyone); the same address following again keeps
    its first row (a reporter who also says "me too" stays the reporter). `address` is normalised
    (contact_parse)."""
    language = (language or get_language() or settings.LANGUAGE_CODE)[:10]
    digest = address_hash(address)
    existing = Follower.objects.filter(case=case, address_hash=digest).first()
    if existing is not None:
        if not existing.is_active:
            existing.is_active = True
            existing.save(update_fields=["is_active"])
        return existing
    try:
        with transaction.atomic():
            return Follower.objects.create(
                case=case,
                kind=kind,
                user=user,
                channel=channel,
                address_encrypted=pii.encrypt(address),
                address_hash=digest,
                language=language,
                token=secrets.token_urlsafe(32),
                created_at=clock.now(),
            )
    except IntegrityError:  # the same address, added by a concurrent request: theirs stands
        return Follower.objects.get(case=case, address_hash=digest)
