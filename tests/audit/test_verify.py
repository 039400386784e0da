"""verify_audit against the checkpoints: a history rewritten with the key, a log edited in any way, the
database's copy edited, both keys rotated, and a photo swapped on disk are each named, and exit 1."""

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.storage import default_storage

from audit import keys
from audit.models import AuditCheckpoint
from cases import services as case_services
from cases.audit import chain_verify, event_hash
from cases.models import Case, CaseEvent, CasePhoto, CaseState
from gridmgmt import chain
from patrols import services as patrol_services

from ..cases.helpers import drive, report
from .helpers import log_lines, log_write, publish, rewrite_history, verify_audit

S = CaseState
SIGNING_A = "11" * 32
SIGNING_B = "22" * 32


def public_hex(seed: str) -> str:
    return keys.public_key_hex(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).public_key())


def events_of(case):
    return list(CaseEvent.objects.filter(case=case).order_by("seq"))


def test_a_clean_history_verifies_with_its_checkpoints(world):
    drive(world, S.CLOSED)
    publish()
    drive(world, S.REJECTED)
    patrol_services.patrol_start(actor=world.gridadmin)
    publish()
    out, err, error = verify_audit("--verbosity", "2")
    assert error is None, out
    assert out.splitlines()[0] == "2 cases checked, all chains intact"
    assert "1 patrol verified" in out
    assert "2 checkpoints verified against" in out
    assert "photos match their chains" in out


def test_without_checkpoints_it_warns_that_a_rewrite_would_go_unnoticed(world):
    drive(world, S.FILED)
    out, err, error = verify_audit()
    assert error is None and out.strip() == "1 case checked, all chains intact"
    assert "no checkpoint" in err


def test_a_whole_chain_rewritten_with_the_key_is_caught_by_the_checkpoints(world):
    before, forged, after = drive(world, S.CLOSED), drive(world, S.CLOSED), drive(world, S.DISPATCHED)
    publish()
    services_case = drive(world, S.FILED)
    publish()
    rewrite_history(forged, seq=2, note="从未被退回")
    forged.refresh_from_db()
    assert chain_verify(forged.number, events_of(forged), head=(forged.audit_seq, forged.audit_head)) is None
    out, _, error = verify_audit()
    assert error is not None and "checkpoint problems" in error
    (line,) = [line for line in out.splitlines() if line.startswith("checkpoint ")]
    assert line.startswith("checkpoint 1: its root does not match the chains")
    assert f"case {forged.number} had head #{forged.audit_seq}" in line
    assert "(and every later checkpoint, 1, carries the difference)" in line
    for innocent in (before, after, services_case):
        assert innocent.number not in out


def test_a_history_deleted_and_rewritten_with_new_ids_is_caught(world):
    forged = drive(world, S.RESOLVED)
    publish()
    events = events_of(forged)
    CaseEvent.objects.filter(case=forged).delete()
    for event in events:
        event.pk = None
        if event.seq == len(events):
            event.note = "已按期办结"
            event.hash = event_hash(event, forged.number)
    CaseEvent.objects.bulk_create(events)
    Case.objects.filter(pk=forged.pk).update(audit_head=events[-1].hash)
    assert chain_verify(forged.number, events_of(forged), head=(forged.audit_seq, events[-1].hash)) is None
    publish()  # the forger's new ids are above checkpoint 1's, so checkpoint 2 takes the forged head in
    out, _, error = verify_audit()
    assert error is not None
    assert "checkpoint 1: its root does not match" in out
    assert f"case {forged.number} had head #{len(events)}" in out and "events up to then are gone" in out


def test_a_signature_tampered_in_the_log_is_named(world):
    drive(world, S.FILED)
    publish()
    drive(world, S.FILED)
    publish()
    records = log_lines()
    records[1]["statement"]["cases"] = 1  # the statement edited, the signature left
    log_write(records)
    out, _, error = verify_audit()
    assert error is not None
    assert "checkpoint 2 (line 2 of the log) has a signature that does not verify" in out
    records = log_lines()
    records[1]["statement"]["cases"] = 2
    records[0]["signature"] = records[0]["signature"][:-2] + (
        "00" if records[0]["signature"][-2:] != "00" else "11"
    )
    log_write(records)
    out, _, error = verify_audit()
    assert "checkpoint 1 (line 1 of the log) has a signature that does not verify" in out
    assert "checkpoint 2" not in out


def test_a_deleted_log_line_is_named(world):
    for _ in range(3):
        drive(world, S.FILED)
        publish()
    records = log_lines()
    log_write([records[0], records[2]])
    out, _, error = verify_audit()
    assert error is not None
    assert "checkpoint 3 stands at line 2 of the log where checkpoint 2 belongs" in out
    assert "checkpoint 2 is in the database but missing from the log" in out


def test_a_reordered_log_is_named(world):
    for _ in range(3):
        drive(world, S.FILED)
        publish()
    records = log_lines()
    log_write([records[0], records[2], records[1]])
    out, _, error = verify_audit()
    assert error is not None
    assert "checkpoint 3 stands at line 2 of the log where checkpoint 2 belongs" in out
    assert "checkpoint 2 stands at line 3 of the log where checkpoint 4 belongs" in out


def test_a_log_entry_not_in_the_database_is_named(world):
    drive(world, S.FILED)
    publish()
    AuditCheckpoint.objects.all().delete()  # a restore from before the checkpoint
    out, _, error = verify_audit()
    assert error is not None and "checkpoint 1 is in the log but not in the database" in out


def test_the_database_copy_edited_is_named(world):
    drive(world, S.FILED)
    publish()
    AuditCheckpoint.objects.filter(seq=1).update(root="0" * 64, cases=7)
    out, _, error = verify_audit()
    assert error is not None
    assert "checkpoint 1: the database's copy differs from the log (root, cases)" in out


def test_a_rotated_signing_key_still_verifies_old_checkpoints_while_trusted(world, settings):
    settings.AUDIT_SIGNING_KEY = SIGNING_A
    drive(world, S.FILED)
    first = publish()
    old_public = keys.public_key_pem()  # what `manage.py audit_public_key` printed for the old key
    settings.AUDIT_SIGNING_KEY = pem_private(SIGNING_B)  # the new key given as PEM
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [old_public]
    drive(world, S.FILED)
    second = publish()
    assert first.public_key_id != second.public_key_id
    out, _, error = verify_audit()
    assert error is None, out
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [public_hex(SIGNING_A)]  # the same key as 64 hex digits
    assert verify_audit()[2] is None
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = []
    out, _, error = verify_audit()
    assert error is not None
    assert (
        f"checkpoint 1 (line 1 of the log) is signed with key {first.public_key_id}, which is neither the"
        " current signing key nor in AUDIT_TRUSTED_PUBLIC_KEYS"
    ) in out
    assert "checkpoint 2" not in out


def pem_private(seed: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_rotated_chain_key_verifies_old_events_until_it_is_dropped(world, settings):
    settings.AUDIT_CHAIN_KEYS = ["old-chain-key"]
    case = drive(world, S.FILED)
    publish()
    settings.AUDIT_CHAIN_KEYS = ["new-chain-key", "old-chain-key"]
    case = case_services.case_dispatch(
        case=Case.objects.get(pk=case.pk), actor=world.dispatcher, department=world.sanitation
    )
    keyed = [e.key_id for e in events_of(case)]
    assert keyed[0] == chain.key_id_of("old-chain-key") and keyed[-1] == chain.key_id_of("new-chain-key")
    publish()
    out, _, error = verify_audit()
    assert error is None, out
    settings.AUDIT_CHAIN_KEYS = ["new-chain-key"]
    out, _, error = verify_audit()
    assert error is not None and "1 of 1 case have a broken event chain" in error
    assert out.splitlines()[0] == (
        f"case {case.number}: event #1 was keyed with key {chain.key_id_of('old-chain-key')}, which is not in"
        " AUDIT_CHAIN_KEY (a retired key dropped too early, or a forgery)"
    )


def test_a_photo_swapped_on_disk_is_named(world):
    case = drive(world, S.RESOLVED)
    photo = CasePhoto.objects.filter(case=case).exclude(sha256="").order_by("id").first()
    assert photo is not None, "the services hash every photo they store"
    assert verify_audit("--case", case.number)[2] is None
    with default_storage.open(photo.image.name, "wb") as handle:
        handle.write(b"not the photo that was taken")
    out, _, error = verify_audit()
    assert error is not None and "photo problems" in error
    assert f"photo {photo.pk} of case {case.number}: the stored original" in out
    assert "is not the photo that was uploaded" in out
    out, _, error = verify_audit("--case", case.number)
    assert f"photo {photo.pk} of case {case.number}" in out
    assert verify_audit("--skip-photos")[2] is None


def test_a_photo_row_rehashed_to_a_swapped_file_is_not_in_the_chain(world):
    case = drive(world, S.RESOLVED)
    photo = CasePhoto.objects.filter(case=case).exclude(sha256="").order_by("id").first()
    swapped = b"another picture"
    with default_storage.open(photo.image.name, "wb") as handle:
        handle.write(swapped)
    CasePhoto.objects.filter(pk=photo.pk).update(sha256=hashlib.sha256(swapped).hexdigest())
    out, _, error = verify_audit()
    assert error is not None
    assert f"photo {photo.pk} of case {case.number}: its hash is in no event of the case's chain" in out
    assert "is not the photo that was uploaded" not in out


def test_photos_from_before_hashing_are_counted_not_failed(world):
    case = drive(world, S.RESOLVED)
    hashed = CasePhoto.objects.filter(case=case).exclude(sha256="").count()
    CasePhoto.objects.filter(pk=CasePhoto.objects.filter(case=case).first().pk).update(sha256="")
    out, _, error = verify_audit("--verbosity", "2")
    assert error is None, out
    assert f"{hashed - 1} photo" in out and "(1 from before hashing, not checked)" in out


def test_a_broken_patrol_chain_is_named(world):
    from patrols.models import PatrolEvent

    patrol, _ = patrol_services.patrol_start(actor=world.gridadmin)
    PatrolEvent.objects.filter(patrol=patrol).update(actor_username="someone")
    out, _, error = verify_audit()
    assert error is not None and "1 of 1 patrols do not verify" in error
    assert f"patrol {patrol.pk} event 1: altered" in out
    assert verify_audit("--skip-patrols")[2] is None


@pytest.mark.parametrize("garbage", ["{not json", '{"statement": 3}'])
def test_an_unreadable_log_line_is_named(world, garbage):
    report(world)
    publish()
    from .helpers import log_path

    with log_path().open("a") as handle:
        handle.write(garbage + "\n")
    out, _, error = verify_audit()
    assert error is not None and "checkpoint log line 2 is not a readable checkpoint" in out
