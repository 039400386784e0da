"""The demo is removable: without it in INSTALLED_APPS the project checks, migrates and has no missing
migrations, `seed_demo` is gone, and loading the URLconf and the tasks imports nothing of the demo."""

import os
import subprocess
import sys

from django.conf import settings

# The caller's environment must not decide which settings or database are being checked.
_CLEARED = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG")

_NOTHING_IMPORTS_THE_DEMO = """
import importlib, importlib.util, sys
from pathlib import Path
import django
django.setup()
from django.apps import apps
from django.conf import settings
from django.urls import get_resolver
get_resolver().url_patterns
for config in apps.get_app_configs():
    if Path(config.path).parent != Path(settings.BASE_DIR):
        continue  # not one of the project's own apps
    for name in ("models", "services", "selectors", "tasks", "views", "admin", "signals"):
        if importlib.util.find_spec(f"{config.name}.{name}") is not None:
            importlib.import_module(f"{config.name}.{name}")
loaded = sorted(m for m in sys.modules if m == "demo" or m.startswith("demo."))
print("loaded:", loaded)
sys.exit(1 if loaded else 0)
"""


def _run(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.settings_without_demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'without-demo.sqlite3'}",
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_without_the_demo_the_project_checks_migrates_and_has_no_missing_migrations(tmp_path):
    assert "System check identified no issues" in _ok(_run(["manage.py", "check"], tmp_path))
    _ok(_run(["manage.py", "migrate", "--noinput"], tmp_path))
    missing = _run(["manage.py", "makemigrations", "--check", "--dry-run"], tmp_path)
    assert "No changes detected" in _ok(missing)


def test_without_the_demo_seed_demo_is_not_a_command(tmp_path):
    commands = _ok(_run(["manage.py", "help", "--commands"], tmp_path)).split()
    assert "migrate" in commands and "seed_demo" not in commands
    result = _run(["manage.py", "seed_demo", "--if-empty"], tmp_path)
    assert result.returncode != 0 and "Unknown command: 'seed_demo'" in result.stderr


def test_without_the_demo_no_module_of_the_product_imports_it(tmp_path):
    result = _run(["-c", _NOTHING_IMPORTS_THE_DEMO], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
