"""The checkpoint signing key (Ed25519) and the public keys trusted to have signed earlier checkpoints.

AUDIT_SIGNING_KEY is a PEM private key or its 32-byte seed as 64 hex digits; AUDIT_TRUSTED_PUBLIC_KEYS lists
the public keys (PEM or 64 hex digits) of signing keys retired by rotation. A key is named by `key_id`, a
digest of its raw public bytes, in every statement it signs, so the verifier can say which key it lacks.
"""

import hashlib
import re
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_HEX32 = re.compile(r"[0-9a-fA-F]{64}")


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """16 hex digits naming a public key."""
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


@cache
def _private(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if _HEX32.fullmatch(text):
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "AUDIT_SIGNING_KEY is neither 64 hex digits nor a PEM private key"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be an Ed25519 key")
    return key


@cache
def _public(text: str) -> Ed25519PublicKey:
    text = text.strip()
    if _HEX32.fullmatch(text):
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "an entry of AUDIT_TRUSTED_PUBLIC_KEYS is neither 64 hex digits nor a PEM public key"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured("AUDIT_TRUSTED_PUBLIC_KEYS may hold only Ed25519 keys")
    return key


def signing_key() -> Ed25519PrivateKey:
    return _private(settings.AUDIT_SIGNING_KEY)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem(public: Ed25519PublicKey | None = None) -> str:
    public = public or public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_hex(public: Ed25519PublicKey | None = None) -> str:
    return _raw(public or public_key()).hex()


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a checkpoint may be signed with, by id: the current one and the retired ones."""
    keys = [public_key()] + [_public(text) for text in settings.AUDIT_TRUSTED_PUBLIC_KEYS if text.strip()]
    return {key_id(key): key for key in keys}
