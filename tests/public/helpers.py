"""Helpers for the public site's tests: the fields a guarded public form sends (honeypot empty, a solved
proof of work), so a test posts what pow.js would."""

from django.conf import settings

from public.guard import challenge_issue, proof_solve


def guard_fields() -> dict:
    """A fresh, solved, unused proof of work and an empty honeypot: merge into a public form's POST data.
    Each call gives a new challenge (a proof is good for one message)."""
    issued = challenge_issue()
    return {
        "website": "",
        "pow_challenge": issued["challenge"],
        "pow_nonce": proof_solve(issued["challenge"], settings.PUBLIC_POW_BITS),
    }
