"""The keys of the audit chains: every link's hash is an HMAC-SHA256 under a key only the servers hold.

A database writer without the key cannot make a link that verifies, so rewriting a history takes more than
write access. Keys rotate like the field-encryption keys: `AUDIT_CHAIN_KEY` is a comma-separated list, the
first one keys new links, and every one listed still verifies the links it keyed. Each link records the id
of its key (`key_id`, a digest of the key, never the key), so verification knows which key to use and says
plainly when a key has been dropped from the list. Links from before keying (`key_id` empty) were plain
SHA-256; they are accepted only at the start of a chain (see `link_hash`).
"""

import hashlib
import hmac
from functools import cache

from django.conf import settings

UNKEYED = ""  # the key id of links written before the chains were keyed: plain SHA-256


def key_id_of(key: str) -> str:
    """A short public name of a key: 12 hex digits of a digest that reveals nothing usable about it."""
    return hashlib.sha256(b"gridmgmt-audit-chain-key-id:" + key.encode()).hexdigest()[:12]


@cache
def _ring(keys: tuple[str, ...]) -> dict[str, bytes]:
    return {key_id_of(key): key.encode() for key in keys}


def _keys() -> tuple[str, ...]:
    return tuple(settings.AUDIT_CHAIN_KEYS)


def current_key_id() -> str:
    """The id of the key new links are made with."""
    return key_id_of(_keys()[0])


def known_key(key_id: str) -> bool:
    return key_id == UNKEYED or key_id in _ring(_keys())


def link_hash(key_id: str, prev_hash: str, canonical: bytes) -> str:
    """The hash of a link: HMAC-SHA256 under the key `key_id` names over the previous hash and the link's
    canonical bytes (plain SHA-256 for an unkeyed link). KeyError when the key is not in the ring."""
    message = prev_hash.encode() + canonical
    if key_id == UNKEYED:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(_ring(_keys())[key_id], message, hashlib.sha256).hexdigest()


def hashes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
