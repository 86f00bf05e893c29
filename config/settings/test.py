"""Test settings: the real Postgres and Redis of this machine unless variables say otherwise."""

from __future__ import annotations

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import broker_transport_options

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

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
DEBUG = False
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"platform": "100000/min"}}  # noqa: F405
