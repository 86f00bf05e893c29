"""Production settings: the development defaults, hardened. Secrets have no default here."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env
from config.logs import logging_config
from config.settings.base import *  # noqa: F403

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if not SECRET_KEY.strip() or SECRET_KEY == DEVELOPMENT_SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random value (the development default is public)."
    )
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
#: Plain-http requests are redirected to https (`manage.py check --deploy` W008); the probes
#: and the metrics stay reachable over http for load balancers, compose and Prometheus,
#: which call the process directly, not through the TLS proxy.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
#: Browsers remember to use https only (W004); sent on https responses only. A year, as
#: Django's deployment checklist suggests once https works.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Silenced with a reason: whether every subdomain of the operator's domain is https-only
# (W005), and whether to join the browsers' preload list, which is slow to undo (W021), are
# decisions about the whole domain that this service cannot make for its operator; the two
# variables above turn them on, and then nothing is silenced.
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
WHITENOISE_USE_FINDERS = False

# One JSON object a line, for a log collector; LOG_FORMAT=plain brings back text lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)  # noqa: F405
