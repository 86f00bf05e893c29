"""Production settings: `manage.py check --deploy` is clean, and secrets come only from the
environment (no secret key, or the public development one, and the process refuses to start).

Each case runs manage.py in a fresh process, as a deployment would, with only the variables
it sets (a developer's own DJANGO_* variables do not leak in).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        # SQLite and the filesystem broker in a temporary folder: no service is needed to check.
        "TOXMOD_VAR_DIR": str(var_dir),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


REQUIRED = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "moderation.example.com",
}


def test_check_deploy_is_clean_with_the_required_variables(tmp_path: Path) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=REQUIRED, var_dir=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    # Only the two HSTS checks that are the operator's call are silenced (see production.py).
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_turning_on_the_operators_hsts_choices_leaves_nothing_silenced(tmp_path: Path) -> None:
    env = {**REQUIRED, "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_HSTS_PRELOAD": "true"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, var_dir=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.skipif(
    (PROJECT_ROOT / ".env").exists(),
    reason="a local .env (read by config/env.py) may hold the variables this test leaves out",
)
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "moderation.example.com"}, "DJANGO_SECRET_KEY"),
        (
            {
                "DJANGO_SECRET_KEY": "dev-insecure-secret-key-change-me",
                "DJANGO_ALLOWED_HOSTS": "moderation.example.com",
            },
            "development default is public",
        ),
        ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}, "DJANGO_ALLOWED_HOSTS"),
    ],
    ids=["no-secret-key", "development-secret-key", "no-allowed-hosts"],
)
def test_production_refuses_to_start_without_its_secrets(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_redirects_to_https_but_not_the_probes_or_metrics(tmp_path: Path) -> None:
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='moderation.example.com')\n"
        "probes = [client.get(path).status_code for path in ('/healthz', '/readyz', '/metrics')]\n"
        "print(client.get('/api/schema/').status_code, *probes)\n"
        "secure = client.get('/api/schema/', HTTP_X_FORWARDED_PROTO='https')\n"
        "print(secure['Strict-Transport-Security'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "TOXMOD_VAR_DIR": str(tmp_path),
            **REQUIRED,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    statuses, hsts = result.stdout.strip().splitlines()[-2:]
    schema, *probes = statuses.split()
    assert schema == "301"
    # The probes and the metrics answer (200, or 503 where a service is missing here), never
    # with a redirect.
    assert all(code in ("200", "503") for code in probes), probes
    assert hsts == "max-age=31536000"
