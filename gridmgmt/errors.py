"""Domain errors raised by services; views, the API and Open311 turn them into clear 4xx answers.

An error is raised with its message template (English, marked with gettext_noop so it lands in the
catalogue) and the template's parameters:

    raise InvalidInput(gettext_noop("%(name)s is larger than %(n)s MB"), name=name, n=10, field="photos")

`message` is the English text the API, Open311 and the logs send, whatever the request's language;
`localized()` is the same sentence in the active language, for pages. Pages never match the English text.
"""

from .messages import Message


class DomainError(Exception):
    """Base: a request the domain refuses. `status` is the HTTP status a view should answer with."""

    status = 400
    code = "invalid"

    def __init__(self, template: str, /, *, field: str | None = None, **params):
        self.sentence = Message(template, **params)
        self.field = field
        self.message = self.sentence.english()
        super().__init__(self.message)

    @property
    def template(self) -> str:
        return self.sentence.template

    @property
    def params(self) -> dict:
        return self.sentence.params

    def localized(self) -> str:
        """The message in the active language."""
        return str(self.sentence)


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotAllowed(DomainError):
    """The actor's role or scope does not permit this action on this object."""

    status = 403
    code = "not_allowed"


class InvalidTransition(DomainError):
    """The case's current state does not allow the action (e.g. dispatching a closed case)."""

    status = 409
    code = "invalid_transition"


class Conflict(DomainError):
    """Someone else changed the case first; the caller should reload and decide again."""

    status = 409
    code = "conflict"


def error_body(code: str, message: str, field: str | None = None, details: dict | None = None) -> dict:
    """The API's error shape, `{"error": {"code", "message", "field"[, "details"]}}`: its views and the
    middleware that refuses before them (gridmgmt.middleware) answer with the same."""
    body = {"code": code, "message": message, "field": field}
    if details is not None:
        body["details"] = details
    return {"error": body}
