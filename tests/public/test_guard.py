"""public.guard: the honeypot, the proof of work (valid, wrong, forged, expired, reused) and the throttles of
the scopes the report page and "me too" use, each counted per client address."""

import datetime as dt
import time

import pytest
from django.core import signing
from django.test import RequestFactory

from gridmgmt import clock
from gridmgmt.errors import InvalidInput
from public import guard
from public.guard import Throttled, challenge_issue, form_guard, proof_check, proof_solve, throttle_take
from public.models import SpentProof, ThrottleHit

from .helpers import guard_fields


def _request(data=None, *, ip="203.0.113.7"):
    return RequestFactory().post("/public/report/", data or {}, REMOTE_ADDR=ip)


def _wrong_nonce(challenge: str, bits: int) -> str:
    """A nonce that does not solve the challenge."""
    import hashlib

    nonce = 0
    while guard._leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) >= bits:
        nonce += 1
    return str(nonce)


def test_a_solved_fresh_proof_passes_once(db, settings):
    issued = challenge_issue()
    assert issued["bits"] == settings.PUBLIC_POW_BITS
    nonce = proof_solve(issued["challenge"], issued["bits"])
    proof_check(issued["challenge"], nonce)
    assert SpentProof.objects.count() == 1
    with pytest.raises(InvalidInput) as reused:
        proof_check(issued["challenge"], nonce)
    assert "already sent once" in reused.value.message


def test_a_wrong_nonce_is_refused(db, settings):
    issued = challenge_issue()
    with pytest.raises(InvalidInput) as refused:
        proof_check(issued["challenge"], _wrong_nonce(issued["challenge"], settings.PUBLIC_POW_BITS))
    assert refused.value.field == "pow_nonce"
    assert not SpentProof.objects.exists()


@pytest.mark.parametrize(
    "challenge, nonce",
    [
        ("", "1"),
        ("x", ""),
        ("forged:challenge", "1"),
        ("a" * 500, "1"),
        (None, None),
        ("x", "１２"),
        ("x", "-1"),
    ],
)
def test_a_missing_or_forged_proof_is_refused(db, challenge, nonce):
    with pytest.raises(InvalidInput):
        proof_check(challenge, nonce)


def test_an_expired_proof_is_refused(db, settings, monkeypatch):
    settings.PUBLIC_POW_MAX_AGE_SECONDS = 60
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 300)  # the signer's clock: issued 5 min ago
    issued = challenge_issue()
    monkeypatch.setattr(signing.time, "time", lambda: now)
    nonce = proof_solve(issued["challenge"], issued["bits"])
    with pytest.raises(InvalidInput) as refused:
        proof_check(issued["challenge"], nonce)
    assert "open too long" in refused.value.message


def test_a_filled_honeypot_is_refused_before_anything_is_counted(db):
    with pytest.raises(InvalidInput) as refused:
        form_guard(_request({**guard_fields(), "website": "https://spam.example"}), "report")
    assert refused.value.field == "website"
    assert not ThrottleHit.objects.exists() and not SpentProof.objects.exists()


def test_a_refused_proof_spends_no_allowance(db):
    with pytest.raises(InvalidInput):
        form_guard(_request({"website": "", "pow_challenge": "x", "pow_nonce": "1"}), "report")
    assert not ThrottleHit.objects.exists()


@pytest.mark.parametrize("scope", ["report", "support"])
def test_each_scope_refuses_past_its_rate_per_address(db, settings, scope):
    settings.PUBLIC_THROTTLES = "report=3/h,support=3/h"
    for _ in range(3):
        form_guard(_request(guard_fields()), scope)
    with pytest.raises(Throttled) as refused:
        form_guard(_request(guard_fields()), scope)
    assert refused.value.status == 429
    assert refused.value.wait_seconds > 0
    assert "try again in" in refused.value.message
    # another address, and another scope from the same address, still have their own allowance
    form_guard(_request(guard_fields(), ip="198.51.100.9"), scope)
    other = "support" if scope == "report" else "report"
    form_guard(_request(guard_fields()), other)


def test_uses_older_than_the_window_no_longer_count(db, settings):
    settings.PUBLIC_THROTTLES = "report=1/h"
    with clock.frozen_at(clock.now() - dt.timedelta(minutes=61)):
        throttle_take(_request(), "report")
    throttle_take(_request(), "report")
    with pytest.raises(Throttled):
        throttle_take(_request(), "report")


def test_a_scope_without_a_rate_is_a_programming_error(db, settings):
    settings.PUBLIC_THROTTLES = "report=1/h"
    with pytest.raises(ValueError):
        throttle_take(_request(), "support")
