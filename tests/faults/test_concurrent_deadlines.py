"""Two workers sweeping deadlines at the same moment: every warning, overdue mark and escalation fires once
per case, and each notice is written and sent once.

Two real worker processes, each on a queue of its own, get `enforce_deadlines_task` for the same frozen
moment (its `now` argument: time is moved, not slept). Both are held at the starting line by row locks the
test takes on every case, and let go together, so they race over the same cases.
"""

import ast
import datetime as dt
import re
from collections import Counter
from email import message_from_string, policy

import pytest

from cases import services as case_services
from cases.models import Case, CaseEvent
from dispatch.tasks import enforce_deadlines_task
from gridmgmt import clock, tasking
from notifications.models import Notification

from ..conftest import requires_postgres, requires_redis
from ..dispatch.helpers import T0, report
from ..support.celery_worker import unique_queue
from .conftest import RowLocks

pytestmark = [
    requires_postgres,
    requires_redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

CASES = 30
# The waste category's handling limit is 240 minutes; with the default shares (0.8 and 1.5) the warning
# falls at 192 minutes, the deadline at 240 and the escalation at 360.
STAGES = [
    ("deadline_warning", "warned_at", 192),
    ("deadline_overdue", "overdue_at", 240),
    ("escalated", "escalated_at", 360),
]
ALERTS = [action for action, _flag, _minutes in STAGES]


@pytest.fixture(autouse=True)
def _default_shares(settings):
    settings.DEADLINE_WARNING_SHARE = 0.8
    settings.DEADLINE_ESCALATION_SHARE = 1.5


def _dispatched(world) -> Case:
    case = report(world, at=T0)
    with clock.frozen_at(T0), tasking.suppressed():
        case = case_services.case_file(case=case, actor=world.dispatcher)
        return case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)


def _sweep_result(worker, task_id: str) -> dict[str, int] | None:
    """What the worker's run of that sweep returned (from its log), or None while it has not finished."""
    match = re.search(
        rf"enforce_deadlines_task\[{task_id}\] succeeded in [0-9.]+s: (\{{.*\}})", worker.log(10_000)
    )
    return ast.literal_eval(match.group(1)) if match else None


def _mails(directory) -> list:
    """Every message the file email backend wrote (one file per connection, messages separated by dashes)."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip(), policy=policy.default))
    return messages


def test_two_workers_sweeping_at_once_fire_each_alert_once_per_case_and_send_each_notice_once(
    world, private_redis, publishing, workers, pg_admin, tmp_path
):
    cases = [_dispatched(world) for _ in range(CASES)]
    ids = [case.pk for case in cases]
    outboxes = [tmp_path / "mail-a", tmp_path / "mail-b"]
    queues = [unique_queue(), unique_queue()]
    # Each worker mails into a folder of its own (filemail:///+absolute path: django-environ drops a slash).
    sweepers = [
        workers.start(f"sweeper-{n}", queue=queue, EMAIL_URL=f"filemail:///{outbox}")
        for n, (queue, outbox) in enumerate(zip(queues, outboxes, strict=True))
    ]

    for action, flag, minutes in STAGES:
        moment = T0 + dt.timedelta(minutes=minutes)
        with RowLocks(ids):
            task_ids = [
                enforce_deadlines_task.apply_async(kwargs={"now": moment.isoformat()}, queue=queue).id
                for queue in queues
            ]
            # Both sweeps are running and waiting on the same case: the race starts when the locks go.
            sweepers[0].wait_until(
                f"both {action} sweeps to wait on the locks", lambda: len(pg_admin.lock_waiters()) == 2
            )
        results = [
            worker.wait_until(
                f"the {action} sweep to finish", lambda w=worker, t=task_id: _sweep_result(w, t)
            )
            for worker, task_id in zip(sweepers, task_ids, strict=True)
        ]

        fired = Counter()
        for result in results:
            fired.update(result)
        assert fired == {**dict.fromkeys(ALERTS, 0), action: CASES}, results
        assert Case.objects.filter(pk__in=ids, **{flag: moment}).count() == CASES
        sweepers[0].wait_until(
            f"the {action} notices to be sent",
            lambda a=action: not Notification.objects.filter(kind=a, sent_at__isnull=True).exists(),
        )

    # Each alert once per case, in the order of the stages, and the audit chain intact.
    for case in Case.objects.filter(pk__in=ids):
        actions = [a for a in case.events.order_by("seq").values_list("action", flat=True) if a in ALERTS]
        assert actions == ALERTS, (case.number, actions)
    assert CaseEvent.objects.filter(action__in=ALERTS).count() == CASES * len(ALERTS)

    # Each notice written once per recipient, sent on its first claim, and delivered exactly once.
    expected = {
        "deadline_warning": sorted([world.staff.email, world.sanitation.email]),
        "deadline_overdue": sorted([world.staff.email, world.sanitation.email, world.dispatcher.email]),
        "escalated": [world.supervisor.email],
    }
    notices = Notification.objects.filter(kind__in=ALERTS)
    for case in cases:
        for kind, recipients in expected.items():
            got = sorted(notices.filter(case=case, kind=kind).values_list("recipient", flat=True))
            assert got == recipients, (case.number, kind, got)
    assert set(notices.values_list("attempts", flat=True)) == {1}
    # A long Chinese subject is folded onto the header's next line: unfolded, it keeps that line's space.
    delivered = Counter(
        (str(message["To"]), str(message["Subject"]).lstrip())
        for outbox in outboxes
        for message in _mails(outbox)
    )
    assert delivered == Counter((n.recipient, n.subject) for n in notices)
