"""Who hears of a public case, and of a grid's new cases: followers (reporter, supporters, anyone), grid
subscriptions, and the notices the NoticeRule rows say each public step sends (after commit, through the
notifications queue, in each reader's language, on their channel).

Contacts are personal data: kept encrypted (grids.pii), found by a keyed hash, shown to no public page.

What a notice may say is the rule's text with its placeholders filled (`template_fill`): the case's number,
category, residents' state, rough place, public page, the department's name, the rating link and the
unsubscribe link. Never a reporter's name or contact, a staff member's name, or a note written inside the
city: there is no placeholder for them, and an admin text naming another placeholder is refused
(`template_unknown`).

Which steps reach whom (`notices_for_step`, subscribed to cases.hooks in PublicConfig.ready):
- a case that is not public reaches its reporter only (it is their case: the message says its number and
  state, and its lines that would link to the public page are left out);
- grid subscribers hear of new public cases only: a report of a public case, or a hidden case made public
  ("publicity") for the first time (a case that was public before, then hidden and shown again, is not new);
- a rule's channel is the follower's: e-mail rules reach e-mail addresses, text-message rules phones.

Links are absolute when settings.SITE_URL names the site (e.g. "https://12345.example.gov.cn"); without it
they are the site's paths.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language, gettext, gettext_noop

from cases.models import Case, CaseCaller, CaseEvent
from cases.ui import RESIDENT_STATE_LABELS, category_label
from cases.workflow import Action
from departments.models import Department
from gridmgmt import clock
from gridmgmt.errors import InvalidInput
from grids import pii
from grids.models import Grid
from notifications.services import notifications_queue_rendered

from .models import Channel, Follower, GridSubscription, NoticeRule


def contact_parse(text: str) -> tuple[str, str]:
    """An e-mail address or a Chinese phone number as a resident types it → (channel, normalised address).
    Refused (field "contact") when it is neither."""
    # Full-width letters and digits (a Chinese keyboard's) read as their ASCII selves.
    text = unicodedata.normalize("NFKC", text or "").strip()
    if len(text) > 254:  # no e-mail address is longer, and no phone nearly as long
        raise InvalidInput(
            gettext_noop("this contact is too long: give one e-mail address or phone number"), field="contact"
        )
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
    if re.fullmatch(r"1[3-9][0-9]{9}", digits):
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


# --- following and subscribing ------------------------------------------------------------------------------

KIND = "public_notice"  # a step's notice to a follower or a grid subscriber (notifications.Notification.kind)
CONFIRM_KIND = "public_subscription"  # the link that confirms a grid subscription
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,43}")


def _is_token(token: str) -> bool:
    """Tokens are token_urlsafe(32): anything else is no link of ours, and never reaches the database."""
    return bool(_TOKEN.fullmatch(token or ""))


def follower_subscribe(*, case: Case, contact: str, language: str | None = None, user=None) -> Follower:
    """Anyone follows a public case by e-mail or text message (a FOLLOWER); one who had stopped follows
    again. Refused (field "contact") for a contact that is neither, and for a case the public cannot see."""
    if not case.is_public:
        raise InvalidInput(gettext_noop("this case is not shown to the public"), field="contact")
    channel, address = contact_parse(contact)
    return follower_add(
        case=case, kind=Follower.Kind.FOLLOWER, channel=channel, address=address, language=language, user=user
    )


def grid_subscription_request(*, grid: Grid, contact: str, language: str | None = None) -> GridSubscription:
    """A resident asks to hear of every new public case in `grid`: the subscription waits unconfirmed, and
    the address gets a link that confirms it (only confirmed subscriptions are told anything). An address
    that already hears of the grid is sent nothing; one that had stopped, or never confirmed, gets a new
    link (the old one stops working)."""
    channel, address = contact_parse(contact)
    language = (language or get_language() or settings.LANGUAGE_CODE)[:10]
    digest = address_hash(address)
    now = clock.now()
    with transaction.atomic():
        existing = GridSubscription.objects.select_for_update().filter(grid=grid, address_hash=digest).first()
        if existing is not None and existing.is_active and existing.confirmed_at is not None:
            return existing  # already told of the grid: nothing to confirm, nothing sent
        if existing is not None:
            existing.channel, existing.language = channel, language
            existing.token = secrets.token_urlsafe(32)
            existing.is_active, existing.confirmed_at, existing.created_at = True, None, now
            existing.save(
                update_fields=["channel", "language", "token", "is_active", "confirmed_at", "created_at"]
            )
            subscription = existing
        else:
            try:
                with transaction.atomic():
                    subscription = GridSubscription.objects.create(
                        grid=grid,
                        channel=channel,
                        address_encrypted=pii.encrypt(address),
                        address_hash=digest,
                        language=language,
                        token=secrets.token_urlsafe(32),
                        created_at=now,
                    )
            except IntegrityError:  # the same address, asked by a concurrent request: its link is on its way
                return GridSubscription.objects.get(grid=grid, address_hash=digest)
        subscription.grid = grid
        notifications_queue_rendered(kind=CONFIRM_KIND, notices=[_confirmation_notice(subscription, address)])
    return subscription


def _confirmation_notice(subscription: GridSubscription, address: str) -> tuple:
    url = _absolute(reverse("public-subscription-confirm", kwargs={"token": subscription.token}))
    hours = settings.PUBLIC_CONFIRM_LINK_HOURS
    with translation.override(_reading_language(subscription.language)):
        grid = subscription.grid.label
        if subscription.channel == Channel.SMS:
            body = gettext(
                "Confirm text messages about new cases in grid %(grid)s within %(hours)s h: %(url)s "
                "(not you? ignore this)"
            ) % {"grid": grid, "hours": hours, "url": url}
            subject = body
        else:
            subject = gettext("Confirm: new cases in grid %(grid)s") % {"grid": grid}
            body = gettext(
                "Someone, probably you, asked to hear of every new public case in grid %(grid)s at this "
                "address.\n\nTo confirm, open this link within %(hours)s hours:\n%(url)s\n\n"
                "If it was not you, ignore this message: nothing more will be sent."
            ) % {"grid": grid, "hours": hours, "url": url}
    return (subscription, subscription.channel, address, subject, body)


def subscription_by_token(token: str) -> Follower | GridSubscription | None:
    """The follower or grid subscription a link's token names (with its case or grid), or None."""
    if not _is_token(token):
        return None
    follower = Follower.objects.select_related("case").filter(token=token).first()
    if follower is not None:
        return follower
    return GridSubscription.objects.select_related("grid__community__parent").filter(token=token).first()


def confirm_link_expired(subscription: GridSubscription) -> bool:
    """An unconfirmed subscription's link is good for PUBLIC_CONFIRM_LINK_HOURS hours."""
    age = clock.now() - subscription.created_at
    return (
        subscription.confirmed_at is None and age.total_seconds() > settings.PUBLIC_CONFIRM_LINK_HOURS * 3600
    )


def grid_subscription_confirm(*, subscription: GridSubscription) -> GridSubscription:
    """The address's owner opened the link and confirmed: from now on it hears of the grid's new public
    cases. Confirming twice is no error; a cancelled subscription or a stale link is refused."""
    if not subscription.is_active:
        raise InvalidInput(
            gettext_noop("this subscription was cancelled: subscribe again on the grid's page"), field="token"
        )
    if subscription.confirmed_at is not None:
        return subscription
    if confirm_link_expired(subscription):
        raise InvalidInput(
            gettext_noop("this confirmation link has expired: subscribe again on the grid's page"),
            field="token",
        )
    now = clock.now()
    # Conditional: a second click racing the first changes nothing.
    GridSubscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True, is_active=True).update(
        confirmed_at=now
    )
    subscription.refresh_from_db(fields=["confirmed_at", "is_active"])
    return subscription


def subscription_end(*, subscription: Follower | GridSubscription) -> Follower | GridSubscription:
    """Stop the notices of a follower or a grid subscription (its unsubscribe link); stopping twice is no
    error. The row stays (inactive), so that the address following again is the same follower."""
    type(subscription).objects.filter(pk=subscription.pk, is_active=True).update(is_active=False)
    subscription.is_active = False
    return subscription


# --- a reporter who left a contact follows their case -------------------------------------------------------


def _reporter_contacts(case: Case) -> list[tuple[str, str]]:
    """(channel, address) a case's reporter left that we can write to: its reporter_contact as a whole,
    else its parts (Open311 joins e-mail and phone with "; "), then a hotline caller's mobile number."""
    found = []
    text = (case.reporter_contact or "").strip()
    candidates = [text, *re.split(r"[;；,，/]", text)] if text else []
    if case.source == Case.Source.HOTLINE:
        caller = CaseCaller.objects.filter(case=case).only("phone_encrypted").first()
        if caller is not None:
            candidates.append(pii.decrypt(caller.phone_encrypted))
    for candidate in candidates:
        try:
            found.append(contact_parse(candidate))
        except InvalidInput:
            continue
    return found


def reporter_follow(*, case_id: int) -> Follower | None:
    """A new case's reporter follows it when they left a contact (Open311's email or phone, a resident's
    contact a staff member typed, a hotline caller's mobile), in the site's language, by its first usable
    address. The public site's report form decides for itself (its resident chooses whether to follow),
    so its cases are left alone here, as is a case that already has its reporter."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.source == Case.Source.PUBLIC:
        return None
    if Follower.objects.filter(case=case, kind=Follower.Kind.REPORTER).exists():
        return None
    contacts = _reporter_contacts(case)
    if not contacts:
        return None
    channel, address = contacts[0]
    return follower_add(
        case=case,
        kind=Follower.Kind.REPORTER,
        channel=channel,
        address=address,
        language=settings.LANGUAGE_CODE,
    )


# --- the notices of a step ----------------------------------------------------------------------------------

PLACEHOLDERS = (
    "number",
    "category",
    "state",
    "place",
    "url",
    "department",
    "rating_url",
    "unsubscribe_url",
)
# Links a message may lack (a hidden case has no public page; only a closed case's reporter is asked to
# rate): a line of a body holding one of them that comes out empty is left out, with its words.
LINK_PLACEHOLDERS = ("url", "rating_url")
_BRACED = re.compile(r"\{([^{}\r\n]{0,80})\}")


def template_fill(template: str, values: dict[str, str], *, drop_empty_links: bool = False) -> str:
    """`template` with each `{name}` of PLACEHOLDERS replaced by its value; anything else in braces
    (`{case.__class__}`, `{0}`, `{number:>10}`) stays as written. Never str.format: the text is an
    administrator's, and format's attribute access and specs must not run on our objects."""

    def put(match: re.Match) -> str:
        name = match.group(1)
        return str(values[name]) if name in PLACEHOLDERS and name in values else match.group(0)

    if not drop_empty_links:
        return _BRACED.sub(put, template)
    lines = [
        line
        for line in template.splitlines()
        if not any("{" + name + "}" in line and not values.get(name) for name in LINK_PLACEHOLDERS)
    ]
    return _BRACED.sub(put, "\n".join(lines))


def template_unknown(template: str) -> list[str]:
    """The braced words of `template` that are not placeholders (`{numbre}`, `{0}`), as written."""
    return sorted(
        {match.group(0) for match in _BRACED.finditer(template or "") if match.group(1) not in PLACEHOLDERS}
    )


def _absolute(path: str) -> str:
    """A site path as a link in a message: absolute under settings.SITE_URL when it is set."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base and path.startswith("/") else path


def _is_chinese(language: str) -> bool:
    return (language or "").lower().startswith("zh")


def _reading_language(language: str) -> str:
    """The site language a reader's words are rendered in: Chinese for zh-*, else English."""
    return "zh-hans" if _is_chinese(language) else "en"


def _is_new_public(case: Case, action: str, seq: int | None) -> bool:
    """Is this step the one that makes `case` a new public case for its grid's subscribers? Its public
    report, or the first time the dispatch center shows a case that was hidden since its report."""
    if not case.is_public:
        return False
    if action == Action.REPORT:
        return True
    if action != Action.PUBLICITY or seq is None:
        return False
    changes = [
        (event_seq, data or {})
        for event_seq, data in CaseEvent.objects.filter(
            case_id=case.pk, action=Action.PUBLICITY, seq__lte=seq
        ).values_list("seq", "data")
    ]
    this = [data for event_seq, data in changes if event_seq == seq]
    if not this or this[0].get("public") is not True:
        return False  # the step changed only the text the public reads
    # An earlier change of the flag means the case was public before (shown, or hidden after its report).
    return not any("public" in data for event_seq, data in changes if event_seq < seq)


def _department_name(case: Case, action: str, seq: int | None) -> str:
    """The department's name (never a person): the one a dispatch sent the case to, else the case's."""
    if action == Action.DISPATCH and seq is not None:
        event = CaseEvent.objects.filter(case_id=case.pk, seq=seq).only("data").first()
        code = ((event.data or {}) if event is not None else {}).get("department")
        if code:
            name = Department.objects.filter(code=code).values_list("name", flat=True).first()
            if name:
                return name
    return case.department.name if case.department_id else ""


def _case_words(case: Case, language: str, department: str) -> dict[str, str]:
    """The placeholders a case gives, in `language` (zh-hans or en)."""
    with translation.override(language):
        state = str(RESIDENT_STATE_LABELS.get(case.state, case.state))
    names = (category_label(case.category.parent, language), category_label(case.category, language))
    return {
        "number": case.number,
        "category": " › ".join(name for name in names if name),
        "state": state,
        "place": case.grid.place if case.grid_id else "",
        "url": _absolute(reverse("public-case", kwargs={"number": case.number})) if case.is_public else "",
        "department": department,
    }


def _rating_link(case: Case, follower: Follower) -> str:
    """The rating page's link for a closed case's reporter (public.ratings), or ""."""
    try:
        from .ratings import rating_link_for  # the rating part of the site; without it, no link
    except ImportError:
        return ""
    return _absolute(rating_link_for(case, follower) or "")


@dataclass(frozen=True)
class _Reader:
    rule: NoticeRule
    who: Follower | GridSubscription


def _readers(case: Case, rules: dict[tuple[str, str], NoticeRule]) -> list[_Reader]:
    """Each active follower and confirmed grid subscriber a rule reaches, on the rule's channel."""
    audiences = {audience for audience, _channel in rules}
    kinds = []
    if NoticeRule.Audience.REPORTER in audiences:
        kinds.append(Follower.Kind.REPORTER)
    if NoticeRule.Audience.SUPPORTERS in audiences:
        kinds += [Follower.Kind.SUPPORTER, Follower.Kind.FOLLOWER]
    readers = []
    if kinds:
        for follower in Follower.objects.filter(case=case, is_active=True, kind__in=kinds).order_by("pk"):
            audience = (
                NoticeRule.Audience.REPORTER
                if follower.kind == Follower.Kind.REPORTER
                else NoticeRule.Audience.SUPPORTERS
            )
            rule = rules.get((audience, follower.channel))
            if rule is not None:
                readers.append(_Reader(rule, follower))
    if NoticeRule.Audience.GRID in audiences and case.grid_id:
        subscriptions = GridSubscription.objects.filter(
            grid_id=case.grid_id, is_active=True, confirmed_at__isnull=False
        ).order_by("pk")
        for subscription in subscriptions:
            rule = rules.get((NoticeRule.Audience.GRID, subscription.channel))
            if rule is not None:
                readers.append(_Reader(rule, subscription))
    return readers


def notices_for_step(case_id: int, action: str, seq: int | None = None) -> list:
    """Queue the notices the active NoticeRule rows give for `action` on case `case_id` (its event `seq`):
    one batch, each in its reader's language and on its channel, sent after commit. Returns the queued
    Notification rows. See the module's docstring for who hears what."""
    case = (
        Case.objects.select_related("category__parent", "grid__community__parent", "department")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not case.number:
        return []
    wanted = NoticeRule.objects.filter(is_active=True, action=action).exclude(
        audience=NoticeRule.Audience.GRID
    )
    if not case.is_public:  # the reporter's own case; nobody else may hear of it
        wanted = wanted.filter(audience=NoticeRule.Audience.REPORTER)
    rules = {(rule.audience, rule.channel): rule for rule in wanted}
    if _is_new_public(case, action, seq):
        grid_rules = NoticeRule.objects.filter(
            is_active=True, action=Action.REPORT, audience=NoticeRule.Audience.GRID
        )
        rules |= {(rule.audience, rule.channel): rule for rule in grid_rules}
    if not rules:
        return []
    readers = _readers(case, rules)
    if not readers:
        return []
    department = _department_name(case, action, seq)
    words: dict[str, dict[str, str]] = {}  # reading language → the case's placeholders
    with transaction.atomic():  # the rating invitations the links name, with the notices that carry them
        notices = []
        for reader in readers:
            who, rule = reader.who, reader.rule
            language = _reading_language(who.language)
            if language not in words:
                words[language] = _case_words(case, language, department)
            chinese = _is_chinese(language)
            subject, body = (rule.subject_zh, rule.body_zh) if chinese else (rule.subject_en, rule.body_en)
            values = dict(words[language])
            values["unsubscribe_url"] = _absolute(reverse("public-unsubscribe", kwargs={"token": who.token}))
            values["rating_url"] = ""
            if isinstance(who, Follower) and "{rating_url}" in subject + body:
                values["rating_url"] = _rating_link(case, who)
            notices.append(
                (
                    case,
                    who.channel,
                    pii.decrypt(who.address_encrypted),
                    template_fill(subject, values).replace("\n", " "),
                    template_fill(body, values, drop_empty_links=True),
                )
            )
        return notifications_queue_rendered(kind=KIND, notices=notices)


# --- hook subscribers (PublicConfig.ready) ---------------------------------------------------------------


def on_case_reported(case_id: int) -> None:
    """A new case: its reporter follows it if they left a contact, then the "report" notices go out."""
    reporter_follow(case_id=case_id)
    notices_for_step(case_id, Action.REPORT)


def on_case_stepped(payload: tuple[int, str, int]) -> None:
    """A step of a case was recorded: the notices its rules give."""
    case_id, action, seq = payload
    notices_for_step(case_id, action, seq)
