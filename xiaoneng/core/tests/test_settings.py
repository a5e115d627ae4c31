"""The settings read the environment and refuse unsafe production values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
        "'engine': settings.DATABASES['default']['ENGINE'], "
        "'health': settings.DATABASES['default']['CONN_HEALTH_CHECKS'], "
        "'tz': settings.TIME_ZONE, 'secure_cookie': settings.SESSION_COOKIE_SECURE}))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "USE_HTTPS", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = _settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_profile_from_environment():
    result = _settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "a.example,b.example",
            "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
            "USE_HTTPS": "1",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '{"debug": false, "hosts": ["a.example", "b.example"], '
        '"engine": "django.db.backends.postgresql", "health": true, '
        '"tz": "Asia/Shanghai", "secure_cookie": true}'
    )


def test_a_malformed_boolean_is_a_clear_error():
    result = _settings({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
