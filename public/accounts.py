"""Resident accounts on the public site (every write): sign-up by e-mail (a signed confirmation link) or by
mobile phone (a one-time code by text message), passwords reset by link or code, and the link of an account
to the registry that a grid administrator confirms, which makes it a verified resident of that grid.

Rules that hold throughout:
- Whether an address or a phone has an account is never told: a sign-up with a taken contact and a reset for
  an unknown one answer exactly like the others (the owner of a taken contact is told, by their contact).
- A contact nobody confirmed holds nothing: a new sign-up with it releases it from the unconfirmed account.
- One-time codes are kept as an HMAC only; they expire (PUBLIC_CODE_MINUTES), are spent by their use and by
  PUBLIC_CODE_ATTEMPTS wrong tries, and a new code for the same phone and purpose spends the older ones.
- ID numbers are kept only as the registry's keyed hash (grids.pii.hash_id_number), shown to nobody.
- Mail and text messages go out after the rows are written, outside any transaction.
"""

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, gettext_noop

from cases.models import Case
from gridmgmt import clock
from gridmgmt.errors import Conflict, DomainError, InvalidInput, NotAllowed
from gridmgmt.roles import Role, user_roles
from grids import pii
from grids.models import Grid, Resident
from grids.selectors import grid_ids_of_administrator
from notifications.sms import sms_send

from .follow import address_hash, contact_parse
from .models import Channel, OneTimeCode, RegistryLinkRequest, ResidentAccount

logger = logging.getLogger(__name__)
User = get_user_model()

EMAIL_SALT = "public.account.email"
CODE_DIGITS = 6
MAX_NAME = 60
MAX_REASON = 1000


class SendFailed(DomainError):
    """The mail server or the SMS gateway refused: nothing was lost, the person may ask again later."""

    status = 503
    code = "send_failed"


@dataclass(frozen=True)
class Signup:
    """What a sign-up did. `account` is None when the contact already belonged to a confirmed account (its
    owner was told instead); the page answers the same either way."""

    channel: str
    address: str
    account: ResidentAccount | None


# --- reading what people type ---------------------------------------------------------------------------


def _typed(text: str, limit: int) -> str:
    """What was typed, bounded, with full-width letters and digits (a Chinese input method's) made ASCII."""
    return unicodedata.normalize("NFKC", (text or "")[:limit]).strip()


def contact_read(text: str) -> tuple[str, str]:
    """An e-mail address or a mobile number → (channel, normalised address); refused (field "contact")."""
    channel, address = contact_parse(_typed(text, 254))
    if channel == Channel.SMS:
        address = mobile_parse(address)
    return channel, address


def email_parse(text: str) -> str:
    """An e-mail address, normalised (domain in lower case); refused otherwise (field "email")."""
    try:
        channel, address = contact_parse(_typed(text, 300))
    except InvalidInput:
        channel, address = "", ""
    if channel != Channel.EMAIL or len(address) > 254:
        raise InvalidInput(gettext_noop("give an e-mail address such as name@example.com"), field="email")
    return address


def mobile_parse(text: str) -> str:
    """A mainland mobile number (11 digits, 13x–19x) as digits; refused otherwise (field "phone")."""
    try:
        phone = pii.phone_validate(_typed(text, 40))
    except InvalidInput:
        phone = ""
    if not (len(phone) == 11 and phone.isascii() and phone.isdigit() and phone.startswith("1")):
        raise InvalidInput(gettext_noop("give a mobile number of 11 digits (13x–19x)"), field="phone")
    return phone


def _password_check(password: str, user) -> None:
    try:
        password_validation.validate_password(password or "", user)
    except ValidationError as exc:
        raise InvalidInput(
            gettext_noop("choose another password: %(problems)s"),
            problems=" ".join(exc.messages),
            field="password",
        ) from exc


def _display_name(text: str) -> str:
    name = " ".join((text or "").split())
    if len(name) > MAX_NAME:
        raise InvalidInput(
            gettext_noop("a display name has at most %(n)s characters"), n=MAX_NAME, field="display_name"
        )
    return name


# --- sign-up --------------------------------------------------------------------------------------------


def _resident_group() -> Group:
    return Group.objects.get_or_create(name=Role.RESIDENT)[0]


def _new_user(*, email: str, password: str, display_name: str):
    """A Django user in the `resident` group; its username ("r_…") is internal and never shown."""
    while True:
        username = f"r_{secrets.token_hex(6)}"
        if not User.objects.filter(username=username).exists():
            break
    user = User.objects.create_user(
        username=username, email=email, password=password, first_name=display_name
    )
    user.groups.add(_resident_group())
    return user


def _confirmed_email_q(email: str) -> Q:
    return Q(email__iexact=email) & (
        Q(resident_account__email_confirmed_at__isnull=False) | Q(resident_account__isnull=True)
    )


def account_signup_email(*, email: str, password: str, display_name: str = "", base_url: str) -> Signup:
    """Open an account with an e-mail address and mail it a confirmation link (PUBLIC_CONFIRM_LINK_HOURS).

    An address already used by a confirmed account (or by a staff member) opens nothing: its owner is mailed
    that someone tried, with the way to reset the password. An unconfirmed account holding the address lets
    go of it (it becomes inactive) — the address belongs to whoever confirms it. `base_url` is the site's
    scheme and host, for the link."""
    email = email_parse(email)
    display_name = _display_name(display_name)
    _password_check(password, User(username="new", email=email, first_name=display_name))
    with transaction.atomic():
        if User.objects.filter(_confirmed_email_q(email)).exists():
            account = None
        else:
            User.objects.filter(
                email__iexact=email, resident_account__email_confirmed_at__isnull=True
            ).update(email="", is_active=False)
            user = _new_user(email=email, password=password, display_name=display_name)
            account = ResidentAccount.objects.create(user=user, created_at=clock.now())
    if account is None:
        _mail(email, _taken_mail(base_url))
    else:
        _mail(email, _confirm_mail(account, base_url))
    return Signup(Channel.EMAIL, email, account)


def account_signup_phone(*, phone: str, password: str, display_name: str = "") -> Signup:
    """Open an account with a mobile phone and text it a sign-up code (public-phone-code confirms it).

    A phone already confirmed by an account opens nothing: its owner gets a text saying so instead of a
    code. An unconfirmed account holding the phone lets go of it (and becomes inactive)."""
    phone = mobile_parse(phone)
    display_name = _display_name(display_name)
    _password_check(password, User(username="new", first_name=display_name))
    digest = address_hash(phone)
    with transaction.atomic():
        holder = ResidentAccount.objects.select_for_update().filter(phone_hash=digest).first()
        if holder is not None and holder.phone_confirmed_at is not None:
            account = None
        else:
            if holder is not None:  # never proved the phone: it keeps its reports, not the number
                ResidentAccount.objects.filter(pk=holder.pk).update(phone_hash="", phone_encrypted="")
                User.objects.filter(pk=holder.user_id).update(is_active=False)
            user = _new_user(email="", password=password, display_name=display_name)
            account = ResidentAccount.objects.create(
                user=user, phone_encrypted=pii.encrypt(phone), phone_hash=digest, created_at=clock.now()
            )
    if account is None:
        _text(
            phone,
            gettext(
                "This number already has an account on the city's residents' site. Forgot the password? "
                "Reset it with a code on the sign-in page."
            ),
        )
    else:
        phone_code_send(phone=phone, purpose=OneTimeCode.Purpose.SIGNUP)
    return Signup(Channel.SMS, phone, account)


# --- e-mail confirmation ------------------------------------------------------------------------------------


def email_confirm_token(account: ResidentAccount) -> str:
    """The signed link token: the account, a hash of its address (a link for an old address confirms no new
    one) and when it was made (by gridmgmt.clock, so tests move time)."""
    payload = {
        "a": account.pk,
        "e": address_hash(account.user.email.lower())[:16],
        "t": int(clock.now().timestamp()),
    }
    return signing.dumps(payload, salt=EMAIL_SALT, compress=True)


def email_confirm(*, token: str) -> ResidentAccount:
    """Confirm the address a link was sent to. A link used again confirms nothing new and is no error; a
    tampered, foreign or expired one is refused (field "token")."""
    try:
        payload = signing.loads((token or "")[:500], salt=EMAIL_SALT)
        account_id, email_digest, issued = int(payload["a"]), str(payload["e"]), int(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(gettext_noop("this confirmation link is not valid"), field="token") from exc
    if clock.now().timestamp() - issued > settings.PUBLIC_CONFIRM_LINK_HOURS * 3600:
        raise InvalidInput(
            gettext_noop("this confirmation link has expired: sign in and ask for a new one"), field="token"
        )
    account = ResidentAccount.objects.select_related("user").filter(pk=account_id).first()
    if (
        account is None
        or not account.user.email
        or not hmac.compare_digest(address_hash(account.user.email.lower())[:16], email_digest)
    ):
        raise InvalidInput(gettext_noop("this confirmation link is not valid"), field="token")
    if account.email_confirmed_at is None:
        with transaction.atomic():
            ResidentAccount.objects.filter(pk=account.pk, email_confirmed_at__isnull=True).update(
                email_confirmed_at=clock.now()
            )
            # Other unconfirmed accounts that gave the same address let go of it.
            User.objects.filter(
                email__iexact=account.user.email, resident_account__email_confirmed_at__isnull=True
            ).exclude(pk=account.user_id).update(email="", is_active=False)
        account.refresh_from_db()
    return account


def email_confirm_resend(*, account: ResidentAccount, base_url: str) -> None:
    """Mail a fresh confirmation link to an account's unconfirmed address (nothing when confirmed)."""
    if account.email_confirmed_at is None and account.user.email:
        _mail(account.user.email, _confirm_mail(account, base_url))


def _confirm_mail(account: ResidentAccount, base_url: str) -> tuple[str, str]:
    link = base_url.rstrip("/") + reverse(
        "public-email-confirm", kwargs={"token": email_confirm_token(account)}
    )
    subject = gettext("Confirm your e-mail address")
    body = gettext(
        "Open this link to confirm the e-mail address of your account on the city's residents' site:\n\n"
        "%(link)s\n\nThe link is valid for %(hours)s hours. If you did not sign up, ignore this message."
    ) % {"link": link, "hours": settings.PUBLIC_CONFIRM_LINK_HOURS}
    return subject, body


def _taken_mail(base_url: str) -> tuple[str, str]:
    link = base_url.rstrip("/") + reverse("public-password-reset")
    subject = gettext("You already have an account")
    body = gettext(
        "Someone tried to sign up on the city's residents' site with this e-mail address, which already has "
        "an account. If it was you, sign in; forgot the password? Reset it here:\n\n%(link)s\n\n"
        "If it was not you, ignore this message: nothing was changed."
    ) % {"link": link}
    return subject, body


def _mail(address: str, message: tuple[str, str]) -> None:
    subject, body = message
    try:
        send_mail(subject, body, None, [address])
    except Exception as exc:  # any mail server failure: the person may ask again
        logger.warning("mail to a resident failed: %s", type(exc).__name__)
        raise SendFailed(gettext_noop("the e-mail could not be sent: try again in a few minutes")) from exc


def _text(phone: str, text: str) -> None:
    try:
        sms_send(phone, text)
    except Exception as exc:  # the gateway's failure, whatever it raises
        logger.warning("text message to a resident failed: %s", type(exc).__name__)
        raise SendFailed(
            gettext_noop("the text message could not be sent: try again in a few minutes")
        ) from exc


# --- one-time codes -----------------------------------------------------------------------------------------


def _code_hash(purpose: str, target_hash: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"otc:{purpose}:{target_hash}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def phone_code_send(*, phone: str, purpose: str) -> None:
    """Text a fresh 6-digit code to `phone` for `purpose` (sign-up or reset); older unused codes for the
    same phone and purpose are spent."""
    phone = mobile_parse(phone)
    target = address_hash(phone)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = clock.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(target_hash=target, purpose=purpose, used_at__isnull=True).update(
            used_at=now
        )
        OneTimeCode.objects.create(
            purpose=purpose,
            target_hash=target,
            code_hash=_code_hash(purpose, target, code),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.PUBLIC_CODE_MINUTES),
        )
    if purpose == OneTimeCode.Purpose.SIGNUP:
        text = gettext(
            "Your sign-up code for the city's residents' site: %(code)s (valid %(minutes)s minutes)."
        )
    else:
        text = gettext(
            "Your code to reset the password on the city's residents' site: %(code)s (valid %(minutes)s "
            "minutes). If you did not ask for it, ignore this message."
        )
    _text(phone, text % {"code": code, "minutes": settings.PUBLIC_CODE_MINUTES})


_WRONG_CODE = gettext_noop("this code is wrong or no longer valid: check it, or ask for a new one")


def phone_code_check(*, phone: str, code: str, purpose: str) -> None:
    """Spend the current code for `phone` and `purpose` if `code` is it; refuse otherwise (field "code").
    A wrong try counts; PUBLIC_CODE_ATTEMPTS of them spend the code. The same answer for no code at all."""
    phone = mobile_parse(phone)
    code = "".join((code or "").split())
    target = address_hash(phone)
    now = clock.now()
    with transaction.atomic():
        current = (
            OneTimeCode.objects.select_for_update()
            .filter(target_hash=target, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at", "-pk")
            .first()
        )
        if current is None:
            raise InvalidInput(_WRONG_CODE, field="code")
        good = len(code) == CODE_DIGITS and hmac.compare_digest(
            current.code_hash, _code_hash(purpose, target, code)
        )
        if good:
            OneTimeCode.objects.filter(pk=current.pk).update(used_at=now)
            return
        spent = current.attempts + 1 >= settings.PUBLIC_CODE_ATTEMPTS
        OneTimeCode.objects.filter(pk=current.pk).update(
            attempts=F("attempts") + 1, **({"used_at": now} if spent else {})
        )
    # Raised after the block, so the counted try is kept.
    raise InvalidInput(_WRONG_CODE, field="code")


def phone_confirm(*, phone: str, code: str) -> ResidentAccount:
    """Confirm the phone of the account signed up with it, by its sign-up code."""
    phone = mobile_parse(phone)
    phone_code_check(phone=phone, code=code, purpose=OneTimeCode.Purpose.SIGNUP)
    account = ResidentAccount.objects.select_related("user").filter(phone_hash=address_hash(phone)).first()
    if account is None:  # the code was good but the account went meanwhile
        raise InvalidInput(_WRONG_CODE, field="code")
    if account.phone_confirmed_at is None:
        ResidentAccount.objects.filter(pk=account.pk).update(phone_confirmed_at=clock.now())
        account.refresh_from_db()
    return account


# --- password reset -----------------------------------------------------------------------------------------


def password_reset_request(*, contact: str, base_url: str) -> tuple[str, str]:
    """Send a reset link (an e-mail address) or a reset code (a mobile phone) when an account has that
    contact; send nothing otherwise. Returns (channel, normalised address): all a page may say."""
    channel, address = contact_read(contact)
    if channel == Channel.EMAIL:
        user = login_user_find(address)
        if user is not None and user.has_usable_password():
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            path = reverse(
                "public-password-reset-confirm",
                kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
            )
            subject = gettext("Reset your password")
            body = gettext(
                "Open this link to choose a new password for your account on the city's residents' site:\n\n"
                "%(link)s\n\nIf you did not ask for it, ignore this message: your password stays as it is."
            ) % {"link": base_url.rstrip("/") + path}
            _mail(address, (subject, body))
        return channel, address
    if ResidentAccount.objects.filter(phone_hash=address_hash(address), user__is_active=True).exists():
        phone_code_send(phone=address, purpose=OneTimeCode.Purpose.RESET)
    return channel, address


def password_reset_by_code(*, phone: str, code: str, password: str):
    """Set a new password with the reset code texted to the account's phone (which the code also confirms).
    An unknown phone is refused like a wrong code."""
    phone = mobile_parse(phone)
    account = ResidentAccount.objects.select_related("user").filter(phone_hash=address_hash(phone)).first()
    _password_check(password, account.user if account is not None else None)
    phone_code_check(phone=phone, code=code, purpose=OneTimeCode.Purpose.RESET)
    if account is None:
        raise InvalidInput(_WRONG_CODE, field="code")
    return _password_set(account.user, password, phone_confirmed=True)


def password_reset_by_link(*, user, token: str, password: str):
    """Set a new password with a reset link's token (which also confirms the account's e-mail address)."""
    if user is None or not default_token_generator.check_token(user, token or ""):
        raise InvalidInput(gettext_noop("this link is not valid any more: ask for a new one"), field="token")
    _password_check(password, user)
    return _password_set(user, password, email_confirmed=True)


def _password_set(user, password: str, *, email_confirmed=False, phone_confirmed=False):
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        now = clock.now()
        accounts = ResidentAccount.objects.filter(user=user)
        if email_confirmed:
            accounts.filter(email_confirmed_at__isnull=True).update(email_confirmed_at=now)
        if phone_confirmed:
            accounts.filter(phone_confirmed_at__isnull=True).update(phone_confirmed_at=now)
    return user


# --- sign-in ----------------------------------------------------------------------------------------------


def login_user_find(identifier: str):
    """The active user an e-mail address, a mobile phone or (for staff) a username names; None otherwise.
    An address shared by several users names the one with a confirmed resident account, else the oldest."""
    identifier = _typed(identifier, 254)
    if not identifier:
        return None
    try:
        channel, address = contact_read(identifier)
    except InvalidInput:
        return User.objects.filter(username=identifier, is_active=True).first()
    if channel == Channel.EMAIL:
        users = User.objects.filter(email__iexact=address, is_active=True)
        return (
            users.filter(_confirmed_email_q(address)).order_by("pk").first() or users.order_by("pk").first()
        )
    account = ResidentAccount.objects.select_related("user").filter(
        phone_hash=address_hash(address), user__is_active=True
    )
    found = account.first()
    return found.user if found is not None else None


def login_username(identifier: str) -> str:
    """The username to authenticate: the user's, or for nobody a stand-in derived from what was typed, so an
    unknown identifier takes the same path (a password hashed, axes counting failures per identifier)."""
    user = login_user_find(identifier)
    if user is not None:
        return user.get_username()
    digest = hmac.new(settings.SECRET_KEY.encode(), (identifier or "").strip()[:254].encode(), hashlib.sha256)
    return f"?{digest.hexdigest()[:24]}"  # "?" never begins a username this site makes


# --- the registry link --------------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return "".join((name or "").split()).casefold()


def registry_link_request(
    *, account: ResidentAccount, grid: Grid, full_name: str, id_number: str
) -> RegistryLinkRequest:
    """Ask the administrators of `grid` to link a confirmed account to the registry. The ID number is
    checked (GB 11643) and kept only as its keyed hash; the registry's current resident of that grid with
    that ID number and that name is found now (or not: `resident` None), so the administrator sees whether
    it matches without seeing either. One pending request per account."""
    if not account.is_confirmed:
        raise NotAllowed(gettext_noop("confirm your e-mail address or phone first"))
    if account.is_verified:
        raise InvalidInput(gettext_noop("your account is already linked to the registry"))
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise InvalidInput(gettext_noop("give your full name as on your ID card"), field="full_name")
    if len(full_name) > MAX_NAME:
        raise InvalidInput(gettext_noop("a name has at most %(n)s characters"), n=MAX_NAME, field="full_name")
    number = pii.id_number_validate((id_number or "")[:40])
    digest = pii.hash_id_number(number.number)
    resident = Resident.objects.filter(id_number_hash=digest, grid=grid, moved_out_on__isnull=True).first()
    if resident is not None and _name_key(resident.name) != _name_key(full_name):
        resident = None  # the number without its name: no match to offer
    try:
        with transaction.atomic():
            return RegistryLinkRequest.objects.create(
                account=account, grid=grid, id_hash=digest, resident=resident, created_at=clock.now()
            )
    except IntegrityError as exc:
        raise Conflict(
            gettext_noop("you already asked; wait for the grid administrator's answer"), field="grid"
        ) from exc


def can_decide_links(user, grid_id: int | None = None) -> bool:
    """Grid administrators decide the requests of their own grids (any grid with `grid_id` None: do they hold
    one?); superusers every grid."""
    if user.is_superuser:
        return True
    if Role.GRID_ADMIN not in user_roles(user):
        return False
    grids = grid_ids_of_administrator(user)
    return bool(grids) if grid_id is None else grid_id in grids


def registry_link_decide(
    *, link: RegistryLinkRequest, actor, approve: bool, reason: str = ""
) -> RegistryLinkRequest:
    """Approve (only a request that matched a current registry resident not linked to another account) or
    decline (with a reason, which the resident reads) a pending request of one of `actor`'s grids. Approval
    makes the account a verified resident of the request's grid."""
    if not can_decide_links(actor, link.grid_id):
        raise NotAllowed(gettext_noop("only the administrators of this grid decide its registry links"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput(gettext_noop("say why the request is declined"), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            gettext_noop("a reason has at most %(n)s characters"), n=MAX_REASON, field="reason"
        )
    now = clock.now()
    with transaction.atomic():
        link = RegistryLinkRequest.objects.select_for_update().select_related("account").get(pk=link.pk)
        if link.state != RegistryLinkRequest.State.PENDING:
            raise Conflict(gettext_noop("this request was already decided"))
        if approve:
            resident_id = link.resident_id
            if (
                resident_id is None
                or not Resident.objects.filter(
                    pk=resident_id, grid_id=link.grid_id, moved_out_on__isnull=True
                ).exists()
            ):
                raise InvalidInput(
                    gettext_noop(
                        "the registry has no current resident of this grid that matches: decline it"
                    ),
                    field="decision",
                )
            if ResidentAccount.objects.filter(resident_id=resident_id).exclude(pk=link.account_id).exists():
                raise Conflict(
                    gettext_noop("this registry resident is already linked to another account: decline it"),
                    field="decision",
                )
            ResidentAccount.objects.filter(pk=link.account_id).update(
                grid_id=link.grid_id, resident_id=resident_id, verified_at=now, verified_by=actor
            )
        link.state = RegistryLinkRequest.State.APPROVED if approve else RegistryLinkRequest.State.DECLINED
        link.reason = reason
        link.decided_by = actor
        link.decided_at = now
        link.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    return link


# --- for the community features to come ---------------------------------------------------------------------


def verified_grid(user) -> Grid | None:
    """The grid `user` is a verified resident of (a grid administrator confirmed their registry link), or None
    (anonymous, staff without an account, unconfirmed or unverified accounts). Polls, suggestions and
    volunteering ask this."""
    if user is None or not user.is_authenticated:
        return None
    account = (
        ResidentAccount.objects.select_related("grid")
        .filter(user=user, verified_at__isnull=False, grid__isnull=False)
        .first()
    )
    return account.grid if account is not None else None


def is_verified_resident(user, grid=None) -> bool:
    """Is `user` a verified resident — of `grid` (a Grid or its id) when given, of any grid otherwise?"""
    found = verified_grid(user)
    if found is None:
        return False
    return grid is None or found.pk == getattr(grid, "pk", grid)


def phone_code_resend(*, phone: str) -> None:
    """Text a new sign-up code when an account still waits for this phone's confirmation; nothing otherwise
    (the page says the same either way)."""
    phone = mobile_parse(phone)
    waiting = ResidentAccount.objects.filter(
        phone_hash=address_hash(phone), phone_confirmed_at__isnull=True, user__is_active=True
    ).exists()
    if waiting:
        phone_code_send(phone=phone, purpose=OneTimeCode.Purpose.SIGNUP)


# --- reads --------------------------------------------------------------------------------------------------


def account_of(user) -> ResidentAccount | None:
    """The user's resident account with its verified grid, or None (staff, or a resident made by hand)."""
    if user is None or not user.is_authenticated:
        return None
    return ResidentAccount.objects.select_related("grid").filter(user=user).first()


def account_phone_masked(account: ResidentAccount | None) -> str:
    """`138****5678`: how the account's own page names its phone."""
    if account is None or not account.phone_encrypted:
        return ""
    return pii.mask_phone(pii.decrypt(account.phone_encrypted))


def my_reports_list(user):
    """The cases `user` reported, newest first, with what the list shows (category and its parent, grid):
    one query whatever their number (plus the paginator's count)."""
    return (
        Case.objects.filter(reporter=user, number__isnull=False)
        .select_related("category__parent", "grid")
        .only(
            "id",
            "number",
            "state",
            "is_public",
            "reported_at",
            "category__name",
            "category__name_en",
            "category__parent__name",
            "category__parent__name_en",
            "grid__name",
        )
        .order_by("-reported_at", "-id")
    )


def link_request_latest(account: ResidentAccount | None) -> RegistryLinkRequest | None:
    """The account's latest registry link request (pending, or the last decision), with its grid."""
    if account is None:
        return None
    return account.link_requests.select_related("grid").order_by("-created_at", "-pk").first()


def link_requests_visible(user):
    """The registry link requests `user` decides: those of their grids (every grid for a superuser)."""
    requests = RegistryLinkRequest.objects.all()
    if not user.is_superuser:
        requests = requests.filter(grid_id__in=grid_ids_of_administrator(user))
    return requests


def link_requests_pending(user) -> list[RegistryLinkRequest]:
    """The pending requests `user` decides, oldest first, each with `account_name` (the display name the
    resident gave) and `resident_masked` (the matched registry resident's masked name, "" for no match).
    Three queries whatever their number: never the ID number nor its hash."""
    rows = list(
        link_requests_visible(user)
        .filter(state=RegistryLinkRequest.State.PENDING)
        .select_related("account__user", "grid", "resident")
        .order_by("created_at", "pk")
    )
    linked = set(
        ResidentAccount.objects.filter(resident_id__in=[r.resident_id for r in rows if r.resident_id])
        .exclude(resident__isnull=True)
        .values_list("resident_id", "pk")
    )
    held = {resident_id: account_id for resident_id, account_id in linked}
    for row in rows:
        row.account_name = row.account.user.first_name
        row.resident_masked = pii.mask_name(row.resident.name) if row.resident is not None else ""
        row.resident_taken = (
            row.resident_id is not None and held.get(row.resident_id, row.account_id) != row.account_id
        )
    return rows


def link_requests_pending_count(user) -> int:
    """How many registry link requests wait for `user` (the grid administrator's home shows it): one query."""
    pending = RegistryLinkRequest.objects.filter(state=RegistryLinkRequest.State.PENDING)
    if user.is_superuser:
        return pending.count()
    if Role.GRID_ADMIN not in user_roles(user):
        return 0
    return pending.filter(grid__assignments__user=user).count()
