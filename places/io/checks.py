"""What every kind's row check shares: who imports (and into which grids), one row's problems, and rows that
repeat an earlier row of the file."""

from django.utils import timezone
from django.utils.translation import gettext_noop

from gridmgmt import policy
from gridmgmt.errors import DomainError
from gridmgmt.messages import Message
from grids.models import Grid
from grids.residents_import import RowError

from .reading import Record

PROGRESS_EVERY = 1000
IN_CLAUSE = 900  # values per IN (…): under SQLite's bound-parameter limit
NOT_YOURS = gettext_noop("grid %(grid)s is not one of your grids")
SAME_AS = gettext_noop("the same %(what)s as row %(row)s")


def chunks(items: list, size: int = IN_CLAUSE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Context:
    """The import's actor and what it may write; grids read once. `actor=None` is the system: every grid."""

    def __init__(self, actor, progress=None):
        self.actor = actor
        self.editable = None if actor is None else policy.base_data_editable_grid_ids(actor)
        self.today = timezone.localdate()
        self.progress = progress
        self._grids: dict[int, Grid] = {}
        self._codes: dict[str, int] | None = None

    def grid(self, grid_id: int) -> Grid:
        if grid_id not in self._grids:
            self._grids[grid_id] = Grid.objects.select_related("community").defer("boundary").get(pk=grid_id)
        return self._grids[grid_id]

    def grid_by_code(self, code: str) -> Grid | None:
        if self._codes is None:
            self._codes = dict(Grid.objects.values_list("code", "id"))
        grid_id = self._codes.get(code)
        return None if grid_id is None else self.grid(grid_id)

    def may_edit(self, grid_id: int) -> bool:
        return self.editable is None or grid_id in self.editable

    def step(self, done: int, total: int) -> None:
        """Progress every PROGRESS_EVERY rows (`total` 0 while the row count is not known)."""
        if self.progress is not None and done % PROGRESS_EVERY == 0:
            self.progress(done, total if total >= done else 0)


class RowCheck:
    """One row's problems. `check` runs a cleaning function and notes the InvalidInput it raises against
    `column`; `service_error` notes a service's refusal against the column its field names."""

    __slots__ = ("errors", "row")

    def __init__(self, record: Record):
        self.row = record.row
        self.errors: list[RowError] = list(record.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def check(self, column: str, fn, *args, columns_by_field: dict | None = None, **kwargs):
        """fn(*args, **kwargs), or None with its refusal noted against `column` (or, for a refusal whose
        field `columns_by_field` names, against that column)."""
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            self.note((columns_by_field or {}).get(exc.field, column), exc)
            return None

    def refuse(self, column: str, template: str, **params) -> None:
        self.errors.append(RowError(self.row, column, Message(template, **params)))

    def note(self, column: str, exc: DomainError) -> None:
        self.errors.append(RowError(self.row, column, exc.sentence))

    def service_error(self, exc: DomainError, columns: dict[str, str]) -> None:
        """A service's refusal, against the column its field is read from (`columns[""]`: no field)."""
        self.note(columns.get(exc.field or "", exc.field), exc)

    def in_scope(self, context: Context, grid_id: int, column: str) -> bool:
        if context.may_edit(grid_id):
            return True
        self.refuse(column, NOT_YOURS, grid=context.grid(grid_id).label)
        return False


class FirstRows:
    """Rows by a key: a row whose key an earlier row of the file has is refused, naming that row."""

    def __init__(self, what):
        self.what = what  # a lazy word: "address", "credit code"
        self.rows: dict = {}

    def check(self, key, check: RowCheck, column: str) -> None:
        first = self.rows.setdefault(key, check.row)
        if first != check.row:
            check.refuse(column, SAME_AS, what=self.what, row=first)
