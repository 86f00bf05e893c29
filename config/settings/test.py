"""Test settings: the real Postgres and Redis of this machine unless variables say otherwise."""

from __future__ import annotations

import os
import tempfile

from config.env import env
from config.prometheus import prometheus_root
from config.settings.base import *  # noqa: F403
from config.settings.base import analyze_reply_url, broker_transport_options

DATABASES = {
    "default": {
        **env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/toxmod"),
        "CONN_MAX_AGE": 0,
    }
}
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=env.str("REDIS_URL", default="redis://127.0.0.1:6379/15")
)
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
ANALYZE_REPLY_URL = analyze_reply_url(CELERY_BROKER_URL)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
DEBUG = False
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"platform": "100000/min", "api_key": "100000/min"},
}

# Tests build different tiny models under the same version name; a result cached by one test
# must not answer another. The score cache's own tests turn it on.
SCORE_CACHE_SECONDS = env.int("SCORE_CACHE_SECONDS", default=0)

# The receivers in the tests listen on 127.0.0.1; everything else private stays refused.
WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    float(v) for v in env.list("WEBHOOK_RETRY_SCHEDULE_SECONDS", default=["0.2"] * 9)
]
WEBHOOK_RETRY_JITTER = 0.0
WEBHOOK_LOCK_SECONDS = env.int("WEBHOOK_LOCK_SECONDS", default=60)

# Each run keeps its metric samples apart from `make run`'s; the worker the tests start
# inherits the variable and writes into the same folder.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="toxmod-prometheus-")
PROMETHEUS_MULTIPROC_DIR = prometheus_root()
READINESS_TIMEOUT_SECONDS = 1.0
