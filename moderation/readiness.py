"""Readiness: can this web process serve requests end to end right now?

Three checks, each cheap and bounded in time: the database answers a trivial query, the Celery
broker accepts a connection, and a model version is active with its artifact on disk. The web
process only looks for the artifact's manifest; it never loads a model (nor imports torch).
Details of a failure go to the log; the answer names the failing check and a short reason.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections

from moderation import model_loader

logger = logging.getLogger(__name__)

#: The file every model artifact directory has (classifier.artifacts.MANIFEST_NAME; not
#: imported from there, so a probe never loads numpy).
_MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, **self.details}
        if self.error:
            body["error"] = self.error
        return body


#: Held while a database check runs; a probe that finds it held answers at once instead of
#: starting another thread behind a database that hangs.
_database_check_running = threading.Lock()


def _database() -> CheckResult:
    """`SELECT 1` on a connection of its own, in a thread the probe waits for at most
    READINESS_TIMEOUT_SECONDS: a database that accepts connections but never answers makes
    the probe fail on time, not hang until the server kills the worker."""
    timeout = settings.READINESS_TIMEOUT_SECONDS
    if not _database_check_running.acquire(blocking=False):
        return CheckResult(False, "The database did not answer (an earlier check still waits).")
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("SELECT 1")
            outcome["error"] = None
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()
            _database_check_running.release()

    check = threading.Thread(target=run, name="readiness-database", daemon=True)
    check.start()
    check.join(timeout)
    if "error" not in outcome:
        logger.warning("Readiness: the database did not answer within %s s.", timeout)
        return CheckResult(False, f"The database did not answer within {timeout:g} s.")
    error = outcome["error"]
    if error is not None:
        logger.warning("Readiness: the database did not answer.", exc_info=error)
        return CheckResult(False, f"The database did not answer ({type(error).__name__}).")
    return CheckResult(True)


def _broker() -> CheckResult:
    from kombu import Connection

    broker_url = settings.CELERY_BROKER_URL
    timeout = settings.READINESS_TIMEOUT_SECONDS
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
    }
    try:
        with Connection(broker_url, connect_timeout=timeout, transport_options=options) as conn:
            # One try, no retry loop: a probe must answer within its own timeout.
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:
        logger.warning("Readiness: the broker did not answer.", exc_info=True)
        return CheckResult(False, f"The broker did not answer ({type(exc).__name__}).")
    return CheckResult(True, details={"transport": broker_url.split("://", 1)[0]})


def _model() -> CheckResult:
    from moderation.selectors.operations import model_version_active

    try:
        active = model_version_active()
    except Exception as exc:
        return CheckResult(False, f"Cannot read the active model ({type(exc).__name__}).")
    if active is None:
        return CheckResult(False, "No model version is active; run migrate or model_activate.")
    details = {"version": active.version}
    manifest = model_loader.artifact_dir(active) / _MANIFEST_NAME
    if not manifest.is_file():
        logger.warning(
            "Readiness: the artifact of %s is missing (%s).",
            active.version,
            manifest,
            extra={"model_version": active.version},
        )
        return CheckResult(False, "The active model's artifact is missing.", details)
    return CheckResult(True, details=details)


def readiness_check() -> dict[str, CheckResult]:
    """The result of each check, by name: database, broker, model."""
    database = _database()
    model = (
        _model()
        if database.ok
        else CheckResult(False, "Cannot read the active model without the database.")
    )
    return {"database": database, "broker": _broker(), "model": model}
