"""What stands between the public forms and abuse, with no third-party CAPTCHA: throttles per client, a
honeypot field, and a proof of work the page's own script computes.

- Throttles (`throttle_take`): settings.PUBLIC_THROTTLES, "<scope>=<count>/<period>", counted in the
  database (ThrottleHit) so every web process sees one count; a refused request gets 429 and how long to
  wait. The client is a keyed hash of its address (gridmgmt.security.client_ip, as the API throttles see it).
- Honeypot (`HONEYPOT`): a field people never see or fill (hidden by CSS, `tabindex=-1`, no label a reader
  announces); a form that arrives with it filled is refused.
- Proof of work (`challenge_issue`, `proof_check`): the server signs a fresh challenge; the browser finds a
  nonce whose SHA-256 over "<challenge>:<nonce>" starts with PUBLIC_POW_BITS zero bits (static/js/pow.js,
  ~65,000 hashes at 16 bits: a moment on a phone, a cost on every message a spammer sends), and the server
  checks it with one hash. A challenge is good for PUBLIC_POW_MAX_AGE_SECONDS and for one message.
"""

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from gridmgmt import clock
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.security import client_ip

from .models import SpentProof, ThrottleHit

HONEYPOT = "website"  # the honeypot field's name on every public form
PROOF_FIELDS = ("pow_challenge", "pow_nonce")
_SALT = "public.guard.pow"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\w+)\s*=\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


class Throttled(DomainError):
    status = 429
    code = "throttled"

    def __init__(self, template: str, /, *, wait_seconds: int, **params):
        self.wait_seconds = wait_seconds
        super().__init__(template, **params)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def rates() -> dict[str, Rate]:
    """settings.PUBLIC_THROTTLES read: {"report": Rate(10, 3600), …}; "10/2h" means 10 per two hours."""
    found = {}
    for part in filter(None, (p.strip() for p in settings.PUBLIC_THROTTLES.split(","))):
        match = _RATE.match(part)
        if not match:
            raise ValueError(f"PUBLIC_THROTTLES: cannot read {part!r} (e.g. report=10/h)")
        scope, count, multiple, unit = match.groups()
        found[scope] = Rate(int(count), int(multiple or 1) * _PERIODS[unit])
    return found


def client_key(request, *, account=None) -> str:
    """A keyed hash of who is asking: the account when there is one, else the address."""
    who = f"user:{account.pk}" if account is not None else f"ip:{client_ip(request) or '-'}"
    return hmac.new(settings.SECRET_KEY.encode(), who.encode(), hashlib.sha256).hexdigest()


def throttle_take(request, scope: str) -> None:
    """Count one use of `scope` by this client, or refuse (Throttled, 429) when its window is full. The
    use is counted in its own transaction: a request refused later still spent it."""
    rate = rates().get(scope)
    if rate is None:
        raise ValueError(f"no PUBLIC_THROTTLES rate for {scope!r}")
    now = clock.now()
    client = client_key(request)
    since = now - dt.timedelta(seconds=rate.seconds)
    with transaction.atomic():
        recent = list(
            ThrottleHit.objects.filter(scope=scope, client=client, at__gt=since)
            .order_by("at")
            .values_list("at", flat=True)[: rate.count]
        )
        if len(recent) >= rate.count:
            wait = math.ceil((recent[0] - since).total_seconds())
            minutes = max(1, math.ceil(wait / 60))
            raise Throttled(
                gettext_noop("too many requests from your connection: try again in %(minutes)s min"),
                minutes=minutes,
                wait_seconds=max(1, wait),
            )
        ThrottleHit.objects.create(scope=scope, client=client, at=now)


def throttles_purge() -> int:
    """Forget uses older than the longest window (beat)."""
    longest = max((rate.seconds for rate in rates().values()), default=0)
    cutoff = clock.now() - dt.timedelta(seconds=longest)
    deleted, _ = ThrottleHit.objects.filter(at__lt=cutoff).delete()
    proof_cutoff = clock.now() - dt.timedelta(seconds=settings.PUBLIC_POW_MAX_AGE_SECONDS)
    SpentProof.objects.filter(at__lt=proof_cutoff).delete()
    return deleted


def honeypot_check(data) -> None:
    """Refuse a form whose hidden honeypot field was filled (a robot fills every field it finds)."""
    if (data.get(HONEYPOT) or "").strip():
        raise InvalidInput(gettext_noop("this form was filled in by a robot"), field=HONEYPOT)


def challenge_issue() -> dict:
    """A fresh signed challenge and how many zero bits its proof needs (static/js/pow.js solves it)."""
    token = signing.TimestampSigner(salt=_SALT).sign(secrets.token_urlsafe(16))
    return {"challenge": token, "bits": settings.PUBLIC_POW_BITS}


def _leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def proof_solve(challenge: str, bits: int) -> str:
    """The nonce a browser would find (tests and the demo use it; pow.js does the same in the page)."""
    nonce = 0
    while _leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


_NOT_CHECKED = gettext_noop("the page's anti-spam check did not finish: wait a moment and send again")


def proof_check(challenge: str, nonce: str) -> None:
    """Accept a solved, fresh, unused challenge (and spend it); refuse anything else."""
    challenge, nonce = (challenge or "").strip(), (nonce or "").strip()
    if not challenge or not nonce or len(challenge) > 200 or len(nonce) > 20 or not nonce.isdigit():
        raise InvalidInput(_NOT_CHECKED, field="pow_nonce")
    try:
        signing.TimestampSigner(salt=_SALT).unsign(challenge, max_age=settings.PUBLIC_POW_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise InvalidInput(
            gettext_noop("the page was open too long: reload it and send again"), field="pow_nonce"
        ) from exc
    except signing.BadSignature as exc:
        raise InvalidInput(_NOT_CHECKED, field="pow_nonce") from exc
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if _leading_zero_bits(digest) < settings.PUBLIC_POW_BITS:
        raise InvalidInput(_NOT_CHECKED, field="pow_nonce")
    try:
        with transaction.atomic():
            SpentProof.objects.create(digest=hashlib.sha256(challenge.encode()).hexdigest(), at=clock.now())
    except IntegrityError as exc:
        raise InvalidInput(
            gettext_noop("this form was already sent once: reload the page to send another"),
            field="pow_nonce",
        ) from exc


def form_guard(request, scope: str) -> None:
    """Everything a public form's POST passes before its service runs: the honeypot, the proof of work
    and the throttle (counted last, so a robot's refused form does not spend a person's allowance)."""
    honeypot_check(request.POST)
    proof_check(request.POST.get("pow_challenge", ""), request.POST.get("pow_nonce", ""))
    throttle_take(request, scope)
