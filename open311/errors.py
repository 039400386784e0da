"""The GeoReport error: an HTTP status and one or more {code, description} entries for the body."""

from .formats import FORMATS, JSON, XML, render


class Open311Error(Exception):
    """Raised anywhere in the app; the views answer with the spec's error list.

    The spec asks for 404 for a resource that does not exist, 403 for a missing or wrong api_key and 400 for
    every other request that cannot be fulfilled. Each entry's code is the HTTP status, as in the spec's
    examples, so clients that switch on it keep working.
    """

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)

    def as_list(self) -> list[dict]:
        return [{"code": self.status, "description": text} for text in self.descriptions]


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def refusal_response(request, status: int, message: str):
    """A refusal made outside the views (bad input, a lost database: gridmgmt.middleware) as the spec's
    error list, in the format the path asks for."""
    return error_response(JSON if request.path.endswith(".json") else XML, Open311Error(status, message))


def error_response(fmt: str, error: Open311Error):
    """The spec's error list in `fmt` (XML for an unknown format), with the error's status."""
    return render(fmt if fmt in FORMATS else XML, error.as_list(), root="errors", status=error.status)
