"""Logging filters for the console: what an operator needs to see, without the noise of ordinary refusals."""

import logging


class OrdinaryRefusals(logging.Filter):
    """A 403 or 404 is an ordinary answer (a role without access, a mistyped address): Django logs it with the
    exception's traceback, which says nothing the one-line warning does not. Keep the line, drop the
    traceback. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
