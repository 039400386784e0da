"""Settings for `make bench`: the project's settings plus the bench-only app and URLconf."""

from gridmgmt.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp.apps.BenchAppConfig"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
# The bench app has no migrations on purpose (nothing to commit or check): `migrate --run-syncdb` makes its
# table; this keeps `makemigrations --check` quiet about it.
MIGRATION_MODULES = {"benchapp": None}
