"""Production settings: missing secrets stop the process at start; with them, `check --deploy` is clean."""

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

SECRETS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY", "AUDIT_CHAIN_KEY", "AUDIT_SIGNING_KEY")
# Anything in the caller's environment that would change what is being checked.
_CLEARED = (
    *SECRETS,
    "DEBUG",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_SETTINGS_MODULE",
)


def _run(args: list[str], tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    environment.update(
        DJANGO_SETTINGS_MODULE="gridmgmt.settings",
        # An empty database of its own: deploy checks that look at data (the Open311 demo key) must not
        # depend on whatever a developer's local database holds.
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": secrets.token_hex(32),
        "AUDIT_CHAIN_KEY": secrets.token_hex(32),
        "AUDIT_SIGNING_KEY": secrets.token_hex(32),
    }


def test_it_refuses_to_start_with_debug_off_and_no_secrets(tmp_path):
    result = _run(["-c", "import django; django.setup()"], tmp_path, DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in SECRETS:
        assert name in result.stderr


def test_it_names_only_the_secrets_that_are_missing(tmp_path):
    given = {"SECRET_KEY": _production_secrets()["SECRET_KEY"]}

    result = _run(["-c", "import django; django.setup()"], tmp_path, DEBUG="0", **given)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.endswith(
        "these settings must be set: FIELD_ENCRYPTION_KEY, FIELD_HASH_KEY, AUDIT_CHAIN_KEY, AUDIT_SIGNING_KEY"
    )


def test_it_starts_without_secrets_when_debug_is_on(tmp_path):
    result = _run(["-c", "import django; django.setup()"], tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stderr


def test_an_empty_database_url_means_the_default_sqlite_file(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES)"
    result = _run(["-c", code], tmp_path, DEBUG="1", DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "gridmgmt.sqlite3" in result.stdout


def test_the_deploy_check_passes_with_production_settings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
        SITE_URL="https://example.org",
        **_production_secrets(),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_warns_when_residents_links_would_have_no_site(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
        **_production_secrets(),
    )

    assert result.returncode != 0
    assert "public.W001" in result.stdout + result.stderr


def test_a_support_priority_rule_that_cannot_be_read_stops_the_process_at_start(tmp_path):
    result = _run(
        ["-c", "import django; django.setup()"], tmp_path, DEBUG="1", SUPPORT_PRIORITY_RULE="high:10"
    )

    assert result.returncode != 0
    assert "SUPPORT_PRIORITY_RULE" in result.stderr and "ImproperlyConfigured" in result.stderr
