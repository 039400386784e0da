"""App config for the residents' public site: case pages, reporting and following (issue 19)."""

from django.apps import AppConfig
from django.utils.module_loading import import_string

# What the public site does when cases announce something (cases.hooks): (hook, "module.function"), one
# line per subscriber, each run after the firing transaction commits, on its own (gridmgmt.hooks).
HOOK_SUBSCRIBERS = (
    # --- hook subscribers: one line each, append yours ---
    # a reporter who left a contact follows their case, then the "report" notices (public.follow)
    ("case_reported", "public.follow.on_case_reported"),
    # the notices the notice rules give for each step (public.follow)
    ("case_stepped", "public.follow.on_case_stepped"),
    ("case_stepped", "public.ratings.on_case_stepped"),  # a reopened case spends its rating links
    # --- end of hook subscribers ---
)


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Public site"

    def ready(self) -> None:
        from cases import hooks

        from . import checks, tasks  # noqa: F401 - registers our system checks, and our Celery tasks (by name)

        for hook_name, path in HOOK_SUBSCRIBERS:
            getattr(hooks, hook_name).subscribe(import_string(path))
