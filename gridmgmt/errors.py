"""Domain errors raised by services; views, the API and Open311 turn them into clear 4xx answers."""


class DomainError(Exception):
    """Base: a request the domain refuses. `status` is the HTTP status a view should answer with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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
