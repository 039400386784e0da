"""The Merkle tree of the checkpoints: one leaf per chain head, chains grouped in fixed buckets by id.

Leaves and inner nodes are hashed with different prefixes (as in RFC 6962), so a leaf can never pass for a
node. A level with an odd count carries its last node up unchanged. Both the publisher (audit.services) and
the verifier (audit.verify) build the tree with these functions, so they agree by construction.
"""

import hashlib
from collections.abc import Iterable

BUCKET_SIZE = 256  # chains per bucket: a change to one chain rehashes at most this many leaves
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
CASE, PATROL = "case", "patrol"  # the kinds of chain, kept apart in the leaf bytes and the bucket order


def bucket_of(pk: int) -> int:
    return pk // BUCKET_SIZE


def leaf_hash(kind: str, name: str, seq: int, head: str) -> bytes:
    """A chain's leaf: its kind, its name (a case's number, a patrol's id), its head's seq and hash."""
    return hashlib.sha256(b"\x00" + f"{kind}|{name}|{seq}|{head}".encode()).digest()


def merkle_root(nodes: Iterable[bytes]) -> bytes:
    level = list(nodes)
    if not level:
        return bytes.fromhex(EMPTY_ROOT)
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def bucket_hash(kind: str, leaves: list[tuple[int, str, int, str]]) -> str:
    """The root of one bucket's leaves: (pk, name, seq, head) of each chain in it, in any order."""
    return merkle_root(leaf_hash(kind, name, seq, head) for _, name, seq, head in sorted(leaves)).hex()


def checkpoint_root(buckets: Iterable[tuple[str, int, str]]) -> str:
    """The root over (kind, number, hash) of every non-empty bucket: cases first, each kind by number."""
    ordered = sorted(buckets, key=lambda b: (b[0] != CASE, b[1]))
    return merkle_root(
        hashlib.sha256(b"\x02" + f"{kind}|{number}|{digest}".encode()).digest()
        for kind, number, digest in ordered
    ).hex()
