"""The console log of `make run`: ordinary refusals without tracebacks, routine task chatter only at DEBUG,
one clock with its offset, Django's lines once."""

import io
import logging
import sys

from django.urls import reverse

from gridmgmt.log import OrdinaryRefusals
from gridmgmt.roles import Role

from .. import factories as f


def _console():
    return next(h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler))


def _record(status: int) -> logging.LogRecord:
    try:
        raise RuntimeError("the view refused")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), exc_info)
    record.status_code = status
    return record


def test_a_403_or_404_keeps_its_line_but_not_its_traceback():
    for status in (403, 404):
        record = _record(status)
        assert OrdinaryRefusals().filter(record) is True
        assert record.exc_info is None


def test_a_server_error_keeps_its_traceback():
    record = _record(500)
    OrdinaryRefusals().filter(record)
    assert record.exc_info is not None


def test_a_refused_page_is_logged_once_in_one_line(client, db):
    client.force_login(f.user(roles=(Role.RESIDENT,)))
    stream = io.StringIO()
    console = _console()
    previous = console.setStream(stream)
    try:
        response = client.get(reverse("dispatch-queue"))
    finally:
        console.setStream(previous)
    assert response.status_code == 403
    output = stream.getvalue()
    assert output.count("Forbidden") == 1, output
    assert "Traceback" not in output
    # The zone is printed: "2026-12-07 22:31:59 +0800 WARNING django.request Forbidden …"
    assert " +0800 WARNING django.request Forbidden" in output


def test_routine_task_logs_show_only_at_debug():
    for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
        assert logger.isEnabledFor(logging.ERROR), name  # a failing task still says so
