"""Models that moved between apps keep their tables and rows: a database migrated back to the schema from
before the move, given rows through the historical models, then migrated forward, reads them back through
the models' new home (with their content types and permissions)."""

import contextlib
import datetime as dt

import pytest
from django.apps.registry import Apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import Case
from departments.models import Department
from evaluation.models import EvaluationFigure, EvaluationTrends
from notifications.models import Notification
from worktime.models import CalendarDay, WorkCalendar, WorkingHours

Targets = list[tuple[str, str | None]]

# The schema before evaluation left dispatch (its models' state still in dispatch, no evaluation app yet).
BEFORE_EVALUATION = [("dispatch", "0005_evaluation_trends"), ("evaluation", None)]
# The schema before departments, work calendars and notifications left dispatch (cases' department column
# still pointing at dispatch.Department, a notice's case link still a foreign key).
BEFORE_DEPARTMENTS = [
    ("dispatch", "0006_evaluation_moves_out"),
    ("cases", "0007_trim_redundant_indexes"),
    ("departments", None),
    ("worktime", None),
    ("notifications", None),
]


def _migrate(targets: Targets | None = None) -> Apps:
    """Migrate the test database to `targets` (None: the latest migrations); the historical apps there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1] is not None]).apps


@contextlib.contextmanager
def schema_before(targets: Targets):
    """The database as it was at `targets`: yields that schema's historical apps, to write rows as the old
    code did. On leaving, and whatever happened, the database is migrated forward to the latest migrations
    (which is what is tested, and what the following tests need)."""
    try:
        yield _migrate(targets)
    finally:
        _migrate()


@pytest.mark.django_db(transaction=True)
def test_evaluation_rows_and_permissions_survive_the_move_out_of_dispatch():
    figure_type = ContentType.objects.get(app_label="evaluation", model="evaluationfigure").pk
    as_of = dt.datetime(2026, 3, 9, 0, 0, tzinfo=dt.UTC)
    with schema_before(BEFORE_EVALUATION) as old_apps:
        # The content type is dispatch's again, with the permissions attached to it.
        assert ContentType.objects.get(app_label="dispatch", model="evaluationfigure").pk == figure_type
        old_apps.get_model("dispatch", "EvaluationFigure").objects.create(
            period_start=dt.date(2026, 3, 2),
            period_end=dt.date(2026, 3, 8),
            kind="department",
            key="sanitation",
            label="环卫所",
            reported=None,
            dispatched=5,
            closed=4,
            closed_on_time=3,
            avg_handling_hours=3.5,
            as_of=as_of,
            computed_at=as_of,
        )
        old_apps.get_model("dispatch", "EvaluationTrends").objects.create(
            period_start=dt.date(2026, 3, 2),
            period_end=dt.date(2026, 3, 8),
            data={"days": ["2026-03-02"], "states": {"dispatched": [1]}},
            as_of=as_of,
            computed_at=as_of,
        )

    figure = EvaluationFigure.objects.get()
    assert (figure.period_start, figure.period_end, figure.kind, figure.key, figure.label) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 8),
        "department",
        "sanitation",
        "环卫所",
    )
    assert (figure.reported, figure.dispatched, figure.closed, figure.closed_on_time) == (None, 5, 4, 3)
    assert figure.avg_handling_hours == 3.5 and figure.as_of == as_of
    trends = EvaluationTrends.objects.get()
    assert trends.data == {"days": ["2026-03-02"], "states": {"dispatched": [1]}}
    assert (trends.period_start, trends.period_end, trends.as_of) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 8),
        as_of,
    )
    assert ContentType.objects.get(app_label="evaluation", model="evaluationfigure").pk == figure_type
    assert not ContentType.objects.filter(app_label="dispatch", model__startswith="evaluation").exists()
    assert Permission.objects.filter(content_type_id=figure_type, codename="view_evaluationfigure").exists()


@pytest.mark.django_db(transaction=True)
def test_departments_calendars_and_notices_keep_their_rows_links_and_permissions(django_user_model):
    department_type = ContentType.objects.get(app_label="departments", model="department").pk
    member = django_user_model.objects.create_user("staff_move", email="staff@example.org")
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with schema_before(BEFORE_DEPARTMENTS) as old_apps:
        assert ContentType.objects.get(app_label="dispatch", model="department").pk == department_type
        department = old_apps.get_model("dispatch", "Department").objects.create(
            code="sanitation", name="环卫所", email="desk@example.org"
        )
        department.members.add(member.pk)
        category = old_apps.get_model("cases", "Category").objects.create(
            code="0101", name="垃圾", kind="minor"
        )
        case = old_apps.get_model("cases", "Case").objects.create(
            number="20260302000001",
            source="patrol",
            lat=28.68,
            lng=115.89,
            category=category,
            description="垃圾堆放",
            department=department,
            suggested_department=department,
            reported_at=at,
            updated_at=at,
        )
        notice = old_apps.get_model("dispatch", "Notification")
        notice.objects.create(
            case=case, kind="dispatched", recipient="a@example.org", subject="s", body="b", created_at=at
        )
        notice.objects.create(kind="digest", recipient="b@example.org", subject="s", body="b", created_at=at)
        calendar = old_apps.get_model("dispatch", "WorkCalendar").objects.create(name="办公", is_default=True)
        calendar.hours.create(weekday=0, start=dt.time(8, 30), end=dt.time(12, 0))
        calendar.days.create(date=dt.date(2026, 10, 1), kind="holiday", name="国庆节")

    department = Department.objects.get(code="sanitation")
    assert (department.name, department.email) == ("环卫所", "desk@example.org")
    assert list(department.members.all()) == [member]
    case = Case.objects.get(number="20260302000001")
    assert case.department == department and case.suggested_department == department
    assert [(n.kind, n.about) for n in Notification.objects.order_by("kind")] == [
        ("digest", None),
        ("dispatched", case),
    ]
    assert list(Notification.objects.filter(case=case).values_list("recipient", flat=True)) == [
        "a@example.org"
    ]
    calendar = WorkCalendar.objects.get(name="办公")
    assert calendar.is_default
    assert list(WorkingHours.objects.filter(calendar=calendar).values_list("weekday", "start", "end")) == [
        (0, dt.time(8, 30), dt.time(12, 0))
    ]
    assert list(CalendarDay.objects.values_list("date", "name")) == [(dt.date(2026, 10, 1), "国庆节")]
    assert ContentType.objects.get(app_label="departments", model="department").pk == department_type
    assert not ContentType.objects.filter(
        app_label="dispatch",
        model__in=["department", "notification", "workcalendar", "workinghours", "calendarday"],
    ).exists()
    assert Permission.objects.filter(content_type_id=department_type, codename="change_department").exists()
