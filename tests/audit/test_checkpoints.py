"""Publishing checkpoints: signed and chained statements in the log before the row, only the changed buckets
rehashed, a failed or repeated write handled, the object-store variant, the beat's task and the public key."""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from audit import keys
from audit.log import GENESIS_DIGEST, AlreadyPublished, CheckpointLogError, canonical, checkpoint_log, digest
from audit.merkle import BUCKET_SIZE
from audit.models import AuditBucket, AuditCheckpoint
from audit.services import checkpoint_publish, statement_of
from cases import services as case_services
from cases.audit import event_next, events_save
from cases.models import Case, CaseEvent, CaseState
from gridmgmt import clock, tasking

from ..cases.helpers import drive, report
from .helpers import log_lines, log_path, publish, verify_audit

S = CaseState


def test_each_checkpoint_is_signed_chained_and_logged_as_recorded(world):
    drive(world, S.CLOSED)
    first = publish()
    drive(world, S.FILED)
    second = publish()
    assert [r["statement"] for r in log_lines()] == [statement_of(first), statement_of(second)]
    assert first.prev_digest == GENESIS_DIGEST and second.prev_digest == digest(statement_of(first))
    public = keys.public_key()
    for record in log_lines():
        public.verify(bytes.fromhex(record["signature"]), canonical(record["statement"]))  # raises if not
    assert (first.cases, first.changed) == (1, 1)
    assert (second.cases, second.changed) == (2, 1)
    assert second.case_event_id == CaseEvent.objects.order_by("-id").first().pk


def test_a_checkpoint_with_nothing_changed_is_still_published(world):
    drive(world, S.FILED)
    first = publish()
    second = publish()
    assert (second.seq, second.changed, second.root) == (2, 0, first.root)
    assert second.buckets_recomputed == 0


def clones(world, n: int) -> list[Case]:
    """`n` reported cases made cheaply: copies of one reported case, each with its own valid first link."""
    template = report(world)
    now = clock.now()
    made = []
    for i in range(n):
        case = Case.objects.get(pk=template.pk)
        case.pk, case.number, case.audit_seq, case.audit_head = None, f"C{i:09d}", 0, ""
        made.append(case)
    Case.objects.bulk_create(made)
    events = [
        event_next(
            case=case,
            action="report",
            from_state="",
            to_state=S.REPORTED,
            actor=world.gridadmin,
            role="",
            at=now,
        )
        for case in made
    ]
    events_save(events)
    Case.objects.bulk_update(made, ["audit_seq", "audit_head"], batch_size=500)
    return made


def test_a_checkpoint_rehashes_only_the_buckets_of_changed_cases(world, django_assert_max_num_queries):
    made = clones(world, 2000)
    first = publish()
    assert first.cases == 2001 and first.buckets_recomputed == len({c.pk // BUCKET_SIZE for c in made})
    changed = [made[0], made[1000], made[1999]]
    with tasking.suppressed():
        for case in changed:
            case_services.case_file(case=Case.objects.get(pk=case.pk), actor=world.dispatcher)
    # A constant: on PostgreSQL the advisory lock, its release and the table lock add four to SQLite's.
    with django_assert_max_num_queries(17):
        second = publish()
    assert second.changed == 3 and second.buckets_recomputed <= 3
    assert second.heads.keys() == {f"case:{c.pk}" for c in changed}
    assert AuditBucket.objects.filter(kind="case").count() == first.buckets_recomputed
    out, _, error = verify_audit()
    assert error is None, out


def test_a_failed_log_write_leaves_no_checkpoint_row(world, settings, tmp_path):
    drive(world, S.FILED)
    (tmp_path / "not-a-directory").write_text("")
    settings.AUDIT_CHECKPOINT_LOG = str(tmp_path / "not-a-directory" / "checkpoints.jsonl")
    with pytest.raises(CheckpointLogError):
        checkpoint_publish()
    assert not AuditCheckpoint.objects.exists()
    settings.AUDIT_CHECKPOINT_LOG = str(tmp_path / "log" / "checkpoints.jsonl")
    assert publish().seq == 1
    assert verify_audit()[2] is None


def test_a_checkpoint_logged_but_not_recorded_is_taken_from_the_log(world):
    drive(world, S.FILED)
    publish()
    drive(world, S.FILED)
    lost = publish()
    AuditCheckpoint.objects.filter(seq=2).delete()  # the row's commit was lost after the log took it
    third = publish()
    assert third.seq == 3 and third.prev_digest == digest(statement_of(lost))
    adopted = AuditCheckpoint.objects.get(seq=2)
    assert statement_of(adopted) == statement_of(lost) and adopted.signature == lost.signature
    assert [r["statement"]["seq"] for r in log_lines()] == [1, 2, 3]
    assert verify_audit()[2] is None


def test_a_foreign_entry_at_the_end_of_the_log_stops_the_publisher(world, settings):
    drive(world, S.FILED)
    publish()
    settings.AUDIT_SIGNING_KEY = "33" * 32
    publish()  # signed by a key this installation does not trust once it is gone
    AuditCheckpoint.objects.filter(seq=2).delete()
    settings.AUDIT_SIGNING_KEY = "44" * 32
    with pytest.raises(CheckpointLogError, match="already holds checkpoint 2, which is signed with key"):
        checkpoint_publish()
    assert AuditCheckpoint.objects.count() == 1 and len(log_lines()) == 2


# --- the object-store variant ---


class ObjectStore(BaseHTTPRequestHandler):
    """PUT with If-None-Match: * (412 when the object exists) and GET, in memory."""

    objects: dict[str, bytes] = {}

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("If-None-Match") == "*" and self.path in self.objects:
            self.send_response(412)
        else:
            self.objects[self.path] = body
            self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        body = self.objects.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def object_store():
    ObjectStore.objects = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), ObjectStore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/audit-log", ObjectStore.objects
    server.shutdown()
    server.server_close()


def test_checkpoints_go_to_an_object_store_never_overwritten(world, settings, object_store):
    url, objects = object_store
    settings.AUDIT_CHECKPOINT_LOG = url + "/"
    drive(world, S.FILED)
    publish()
    drive(world, S.FILED)
    second = publish()
    assert sorted(objects) == ["/audit-log/checkpoint-00000001.json", "/audit-log/checkpoint-00000002.json"]
    stored = json.loads(objects["/audit-log/checkpoint-00000002.json"])
    assert stored["statement"] == statement_of(second)
    out, _, error = verify_audit("--verbosity", "2")
    assert error is None, out
    assert f"2 checkpoints verified against {url}" in out
    with pytest.raises(AlreadyPublished):
        checkpoint_log().append(2, b"{}")
    assert json.loads(objects["/audit-log/checkpoint-00000002.json"]) == stored
    del objects["/audit-log/checkpoint-00000001.json"]
    out, _, error = verify_audit()
    assert error is not None and "checkpoint 1 is in the database but missing from the log" in out


def test_an_unreachable_object_store_publishes_nothing(world, settings):
    settings.AUDIT_CHECKPOINT_LOG = "http://127.0.0.1:9/audit-log"  # discard port: nothing listens
    drive(world, S.FILED)
    with pytest.raises(CheckpointLogError):
        checkpoint_publish()
    assert not AuditCheckpoint.objects.exists()


# --- the task and the public key ---


def test_the_beat_task_is_registered_under_the_name_beat_uses(world, settings):
    from gridmgmt.celery import app

    name = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"]
    assert name == "audit.tasks.checkpoint_publish_task" and name in app.tasks
    drive(world, S.FILED)
    assert app.tasks[name].apply().get() == 1
    assert log_path().exists() and AuditCheckpoint.objects.get().seq == 1


def test_audit_public_key_prints_the_key_checkpoints_are_verified_with(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_public_key", stdout=out, stderr=err)
    public = serialization.load_pem_public_key(out.getvalue().encode())
    assert keys.public_key_hex(public) == keys.public_key_hex()
    assert err.getvalue().strip() == f"key id {keys.key_id(public)}"
    out = io.StringIO()
    call_command("audit_public_key", "--hex", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == keys.public_key_hex()
