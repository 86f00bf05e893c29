"""Settings with safe development defaults; `production.py` only hardens them.

With no variables set the project runs on an embedded default (SQLite in `var/` and kombu's
filesystem broker), so one command starts it on a fresh machine. `DATABASE_URL` and
`CELERY_BROKER_URL` point it at Postgres and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kombu import Queue

from config.env import BASE_DIR, env
from config.logs import logging_config
from config.prometheus import prometheus_root

VAR_DIR = Path(env.str("TOXMOD_VAR_DIR", default=str(BASE_DIR / "var")))

#: Public on purpose: for development only, and refused by the production settings.
DEVELOPMENT_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Under /api/, /v1/ and /v1alpha1/, Django's own 404, 405 and 500 pages are JSON too.
    "moderation.api.errors.ApiJsonErrorsMiddleware",
    # Last, so it sees a view's exception first: a lost database is a 503, not a 500 page.
    "moderation.api.errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'toxmod.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The embedded default runs web, worker and beat as separate processes on one file:
    # WAL lets readers proceed beside the writer, IMMEDIATE avoids deadlocking upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def postgres_timeouts(options: dict[str, object]) -> dict[str, object]:
    """psycopg options with a connect timeout and a server-side statement timeout, unless
    DATABASE_URL sets them (`?connect_timeout=…`, `?options=-c statement_timeout=…`): a
    database that stops answering fails a request in seconds instead of holding it until
    gunicorn kills the worker."""
    options = dict(options)
    options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=5))
    statement_ms = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=30_000)
    given = str(options.get("options", ""))
    if statement_ms and "statement_timeout" not in given:
        options["options"] = f"{given} -c statement_timeout={statement_ms}".strip()
    return options


if DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis")):
    DATABASES["default"]["OPTIONS"] = postgres_timeouts(DATABASES["default"].get("OPTIONS", {}))

#: Seconds a client is told to wait (`Retry-After`) when the database cannot be reached and the
#: API answers 503 database_unavailable.
DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int(
    "DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=5
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve admin assets straight from the apps in development, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG

#: "plain" text lines for a terminal, or "json": one JSON object a line, with the ids of the
#: comments, deliveries and Celery task a line is about (production's default).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)

# --- REST API ---------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["moderation.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["moderation.api.auth.IsPlatformClient"],
    "DEFAULT_PARSER_CLASSES": ["moderation.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "moderation.api.schema.ModerationAutoSchema",
    "EXCEPTION_HANDLER": "moderation.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Both apply: a request over either limit is answered 429 with Retry-After. The key's
    # comes first, so that what it refuses is not counted against the platform.
    "DEFAULT_THROTTLE_CLASSES": [
        "moderation.api.auth.ApiKeyRateThrottle",
        "moderation.api.auth.PlatformRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Requests per platform, all its keys together ("N/s", "N/min", "N/hour", "N/day").
        "platform": env.str("API_RATE_LIMIT", default="6000/min"),
        # Requests per API key; as high as the platform's by default, lower it to share.
        "api_key": env.str("API_KEY_RATE_LIMIT", default="6000/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "toxmod moderation API",
    "DESCRIPTION": (
        "Submit comments for toxicity scoring and read back per-label scores, flags and "
        "moderator decisions. Authenticate with `Authorization: Bearer <api key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets served from this install, not a CDN: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Named enums instead of hashed names for the two `status` choice sets.
    "ENUM_NAME_OVERRIDES": {
        "CommentStatusEnum": "moderation.models.comments.CommentStatus",
        "DeliveryStatusEnum": "moderation.models.webhooks.DeliveryStatus",
    },
}

# Cache: the throttle counters and key last-used stamps. Local memory unless Redis is given.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://toxmod"),
}

# --- moderation ---------------------------------------------------------------------------------

#: Longest comment accepted, in characters (Perspective accepts 20 KB).
MODERATION_MAX_TEXT_CHARS = env.int("MODERATION_MAX_TEXT_CHARS", default=20_000)
#: Largest `metadata` object accepted, in bytes of compact JSON.
MODERATION_MAX_METADATA_BYTES = env.int("MODERATION_MAX_METADATA_BYTES", default=16_384)
#: Deepest `metadata` nesting accepted; the object itself is level 1, {"a": {"b": 1}} is 2.
MODERATION_MAX_METADATA_DEPTH = env.int("MODERATION_MAX_METADATA_DEPTH", default=5)
#: Most keys in one `metadata` object, nested objects' keys included.
MODERATION_MAX_METADATA_KEYS = env.int("MODERATION_MAX_METADATA_KEYS", default=100)
#: Most comments in one `POST /api/v1/comments/batch`.
MODERATION_MAX_BATCH_ITEMS = env.int("MODERATION_MAX_BATCH_ITEMS", default=500)
#: Largest request body, in bytes; a full batch of long comments fits.
MODERATION_MAX_REQUEST_BYTES = env.int("MODERATION_MAX_REQUEST_BYTES", default=12 * 1024 * 1024)
#: Django reads a request body into memory only up to this (its default, 2.5 MiB, refused
#: documented batches before the API's own limit could answer); the same limit as the API's.
DATA_UPLOAD_MAX_MEMORY_SIZE = MODERATION_MAX_REQUEST_BYTES
#: Default per-label flag threshold for new platforms when the model recommends none.
MODERATION_DEFAULT_FLAG_THRESHOLD = env.float("MODERATION_DEFAULT_FLAG_THRESHOLD", default=0.5)
# New platforms auto-remove only for the labels the active model recommends it for (per-label
# thresholds in its manifest's policy); there is no global auto-remove default.

#: Removal reasons a moderator picks from when removing a comment ("code:words", comma
#: separated). The code goes into the audit record, the corrections export and the
#: `comment.reviewed` webhook; the words are what the moderator reads.
MODERATION_REMOVAL_REASONS = env.list(
    "MODERATION_REMOVAL_REASONS",
    default=[
        "threat:Threat of violence",
        "hate:Hate or identity attack",
        "harassment:Harassment or insult",
        "sexual:Sexual or obscene content",
        "spam:Spam or scam",
        "other:Other (say why in the note)",
    ],
)
#: Seconds a keyboard or row decision in the review queue can be undone before it is sent.
MODERATION_REVIEW_UNDO_SECONDS = env.float("MODERATION_REVIEW_UNDO_SECONDS", default=5.0)

#: Most comments scored in one model call.
SCORING_BATCH_SIZE = env.int("SCORING_BATCH_SIZE", default=64)
#: A comment still pending this many seconds after it was last enqueued is enqueued again.
SCORING_PENDING_TIMEOUT_SECONDS = env.int("SCORING_PENDING_TIMEOUT_SECONDS", default=120)
#: Store the spans behind each flagged label at scoring time, for the review queue and API.
SCORING_EXPLAIN = env.bool("SCORING_EXPLAIN", default=True)
#: Spans weighing less than this share of a label's strongest span are not kept.
EXPLANATION_MIN_SHARE = env.float("EXPLANATION_MIN_SHARE", default=0.25)
#: Commit a scoring batch that sends no webhook without waiting for the disk (PostgreSQL);
#: a database crash can then only make such a batch be scored again (services/scoring.py).
SCORING_ASYNC_COMMIT = env.bool("SCORING_ASYNC_COMMIT", default=True)
#: How long a text's scores stay in the score cache (seconds; 0 turns the cache off). Repeats
#: of a text (spam waves, reposts) within this time are scored once per model version.
SCORE_CACHE_SECONDS = env.int("SCORE_CACHE_SECONDS", default=24 * 3600)
#: Which of CACHES holds them (Redis in production through CACHE_URL).
SCORE_CACHE_ALIAS = env.str("SCORE_CACHE_ALIAS", default="default")
#: How often the sweeper looks for such comments.
SCORING_SWEEP_INTERVAL_SECONDS = env.int("SCORING_SWEEP_INTERVAL_SECONDS", default=60)
#: Scoring attempts on which the model raises for one comment alone before that comment is
#: marked `failed` (with its error) instead of being retried for ever.
SCORING_MAX_ATTEMPTS = env.int("SCORING_MAX_ATTEMPTS", default=3)
#: Time budget of one scoring task, in seconds (Celery's soft time limit): a batch still
#: running then is interrupted, nothing of it is written, and its comments are set aside as
#: suspects, each scored alone afterwards; one that runs out of time alone
#: SCORING_MAX_ATTEMPTS times is `failed` (services/scoring_failures.py).
SCORING_SOFT_TIME_LIMIT_SECONDS = env.int("SCORING_SOFT_TIME_LIMIT_SECONDS", default=60)
#: Hard time limit of a scoring task, in seconds: a process that ignores the soft limit (a
#: model stuck in native code) is killed, and the comments it was asked to score get an
#: attempt counted as above. Keep it above the soft limit.
SCORING_TIME_LIMIT_SECONDS = env.int("SCORING_TIME_LIMIT_SECONDS", default=90)
#: Longest error text kept on a failed comment, in characters.
SCORING_ERROR_MAX_CHARS = env.int("SCORING_ERROR_MAX_CHARS", default=2000)

#: Threads torch may use in one worker process (transformer models); run one process per core.
WORKER_TORCH_THREADS = env.int("WORKER_TORCH_THREADS", default=1)
#: Where trained model artifacts are written (the shipped default lives in the package).
MODEL_STORE_DIR = Path(env.str("MODEL_STORE_DIR", default=str(VAR_DIR / "models")))

# --- synchronous scoring (POST /api/v1/analyze and the compatible endpoints) -----------------

#: The queue a synchronous request's texts go to; give it workers of its own in production so
#: that a request never waits behind scoring batches (docs/operations.md).
ANALYZE_QUEUE = env.str("ANALYZE_QUEUE", default="analyze")
#: How long a request waits for a worker's answer, in seconds, before answering 503.
ANALYZE_TIMEOUT_SECONDS = env.float("ANALYZE_TIMEOUT_SECONDS", default=5.0)
#: The `Retry-After` (seconds) of that 503.
ANALYZE_RETRY_AFTER_SECONDS = env.int("ANALYZE_RETRY_AFTER_SECONDS", default=2)
#: Most texts in one synchronous request.
ANALYZE_MAX_TEXTS = env.int("ANALYZE_MAX_TEXTS", default=100)
#: How long an answer nobody took stays in the reply channel, in seconds.
ANALYZE_REPLY_TTL_SECONDS = env.int("ANALYZE_REPLY_TTL_SECONDS", default=60)

# --- operations: readiness and metrics ------------------------------------------------------

#: Root folder of this host's Prometheus sample files (see config/prometheus.py); `/metrics`
#: on the web sums every file under it.
PROMETHEUS_MULTIPROC_DIR = prometheus_root()
#: When set, `/metrics` wants `Authorization: Bearer <token>`; when empty, it is open.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
#: When not 0, each Celery worker serves its own samples on this port (`/metrics`, no token),
#: for workers on machines without a web process. One worker per port and host.
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
#: How long `/readyz` (and `/metrics`, for queue lengths) wait for the broker, in seconds.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)
#: The `Retry-After` (seconds) of a 503 from `/readyz`.
READINESS_RETRY_AFTER_SECONDS = env.int("READINESS_RETRY_AFTER_SECONDS", default=10)

# --- retraining ---------------------------------------------------------------------------------

#: Base training data: the public sets' folder (default ../shared/data), which of its sets
#: (comma-separated; unset means all), and a platform's own labelled CSV/JSONL files.
RETRAIN_DATA_DIR = env.str("RETRAIN_DATA_DIR", default="")
RETRAIN_SOURCES: list[str] | None = env.list("RETRAIN_SOURCES", default=None)
RETRAIN_LABELED_FILES = env.list("RETRAIN_LABELED_FILES", default=[])
RETRAIN_BACKEND = env.str("RETRAIN_BACKEND", default="linear")
#: A scheduled retrain with fewer new corrections than this since the last one does nothing.
RETRAIN_MIN_NEW_CORRECTIONS = env.int("RETRAIN_MIN_NEW_CORRECTIONS", default=50)
#: Share of corrections (fixed by a hash of their text) never trained on, for the comparison.
RETRAIN_HELDOUT_SHARE = env.float("RETRAIN_HELDOUT_SHARE", default=0.3)
#: Fewer held-out corrections than this and the gate rejects: too few to judge.
RETRAIN_MIN_HELDOUT = env.int("RETRAIN_MIN_HELDOUT", default=20)
#: The candidate's mean ROC-AUC on held-out corrections must beat the champion's by this...
RETRAIN_MIN_IMPROVEMENT = env.float("RETRAIN_MIN_IMPROVEMENT", default=0.01)
#: ...and its mean ROC-AUC on the fixed holdout may be at most this much lower.
RETRAIN_HOLDOUT_TOLERANCE = env.float("RETRAIN_HOLDOUT_TOLERANCE", default=0.01)
#: How often beat starts a retrain (seconds; 0 turns the schedule off).
RETRAIN_INTERVAL_SECONDS = env.int("RETRAIN_INTERVAL_SECONDS", default=24 * 3600)
#: A run holding the lock longer than this is taken for crashed and the lock is freed.
RETRAIN_LOCK_TIMEOUT_SECONDS = env.int("RETRAIN_LOCK_TIMEOUT_SECONDS", default=6 * 3600)

# --- webhooks -----------------------------------------------------------------------------------

#: Networks (CIDR) webhooks may reach although private or loopback, e.g. "10.1.0.0/16".
#: Metadata addresses such as 169.254.169.254 stay refused whatever this says.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
#: Connect and read timeout of one delivery attempt, in seconds.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
#: Delay before each retry, in seconds, after the first attempt: about three days in all
#: (Standard Webhooks' example schedule, stretched). Each delay gets +/- 20 % jitter.
WEBHOOK_RETRY_SCHEDULE_SECONDS = [
    float(value)
    for value in env.list(
        "WEBHOOK_RETRY_SCHEDULE_SECONDS",
        default=["5", "300", "1800", "7200", "18000", "36000", "50400", "72000", "72000"],
    )
]
WEBHOOK_RETRY_JITTER = env.float("WEBHOOK_RETRY_JITTER", default=0.2)
#: An endpoint that has failed every attempt for this long is disabled.
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=5 * 24 * 3600)
#: How long a sender holds a delivery; a sender that dies is replaced after this.
WEBHOOK_LOCK_SECONDS = env.int("WEBHOOK_LOCK_SECONDS", default=60)
#: How often beat looks for deliveries that are due (retries, and any whose task was lost).
WEBHOOK_DISPATCH_INTERVAL_SECONDS = env.int("WEBHOOK_DISPATCH_INTERVAL_SECONDS", default=15)
#: How long a delivery handed to the queue stays claimed (seconds past its due time): dispatch
#: enqueues it again only after that, so a lost task delays it and a slow queue never fills
#: up with copies.
WEBHOOK_QUEUE_CLAIM_SECONDS = env.int("WEBHOOK_QUEUE_CLAIM_SECONDS", default=300)
#: Attempts in flight at once to one endpoint; more wait (in the database, not the queue), so
#: one slow or failing receiver holds at most this many worker processes.
WEBHOOK_ENDPOINT_CONCURRENCY = env.int("WEBHOOK_ENDPOINT_CONCURRENCY", default=2)
#: Most deliveries one dispatch pass enqueues per platform: each platform gets its share of
#: every pass, whatever another's backlog.
WEBHOOK_DISPATCH_PER_PLATFORM = env.int("WEBHOOK_DISPATCH_PER_PLATFORM", default=50)
#: Most webhook endpoints one platform may have.
WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM = env.int("WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM", default=10)
#: Retries due sooner than this are scheduled as delayed tasks; later ones wait for dispatch.
WEBHOOK_COUNTDOWN_MAX_SECONDS = env.int("WEBHOOK_COUNTDOWN_MAX_SECONDS", default=600)
#: After a secret rotation, the old secret also signs for this many hours by default.
WEBHOOK_SECRET_ROTATION_GRACE_HOURS = env.float("WEBHOOK_SECRET_ROTATION_GRACE_HOURS", default=24)

# --- Celery -------------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")


def broker_transport_options(broker_url: str) -> dict[str, object]:
    """Transport options for the broker in use (the filesystem one needs its folders)."""
    if broker_url.startswith("filesystem://"):
        folder = VAR_DIR / "broker"
        for sub in ("queue", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    if broker_url.startswith(("redis://", "rediss://")):
        return {
            # A task not acknowledged within this time (a killed worker) is delivered again.
            "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
            "socket_connect_timeout": 5,
        }
    return {}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)


def analyze_reply_url(broker_url: str) -> str:
    """The Redis that carries synchronous answers (moderation/replies.py): ANALYZE_REPLY_URL, or
    the broker's own Redis; empty (files under VAR_DIR) with the filesystem broker."""
    default = broker_url if broker_url.startswith(("redis://", "rediss://")) else ""
    return str(env.str("ANALYZE_REPLY_URL", default=default))


ANALYZE_REPLY_URL = analyze_reply_url(CELERY_BROKER_URL)
CELERY_TASK_IGNORE_RESULT = True
# Results are kept only for the tasks that ask for them (ignore_result=False: the admin's "try a
# text" page waits for a worker's scores), in the Django database, and expire after an hour
# (beat's daily `celery.backend_cleanup` deletes them; the page also deletes its own at once).
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_RESULT_EXTENDED = False
# Celery's Django fixup closes the database connection before and after every task unless
# this is set: a new PostgreSQL connection per scoring batch cost more than writing the batch.
# Connections are instead reused as Django does for requests (CONN_MAX_AGE, health checks,
# closed after an error: workers/tasks.py), and Celery's own close runs every N tasks.
CELERY_DB_REUSE_MAX = env.int("WORKER_DB_REUSE_MAX", default=1000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Scoring tasks are short (tens of ms) and idempotent: a few tasks waiting in the worker keep
# its pool processes busy instead of idle while the next message comes from the broker (the
# profile in docs/performance.md). A killed worker's prefetched tasks come back, and the
# sweeper re-enqueues anything left pending.
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_DEFAULT_QUEUE = "default"
#: Every queue the project sends to: a worker started without --queues consumes them all
#: (`make run`, a single-machine install); production runs a worker per queue.
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in ("scoring", ANALYZE_QUEUE, "default", "webhooks", "training")
]
CELERY_TASK_ROUTES = {
    "moderation.comments.score": {"queue": "scoring"},
    "moderation.comments.rescore": {"queue": "scoring"},
    "moderation.webhooks.send": {"queue": "webhooks"},
    "moderation.training.retrain": {"queue": "training"},
    "moderation.texts.analyze": {"queue": ANALYZE_QUEUE},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-comments": {
        "task": "moderation.comments.sweep_pending",
        "schedule": timedelta(seconds=SCORING_SWEEP_INTERVAL_SECONDS),
        "options": {"queue": "default", "expires": SCORING_SWEEP_INTERVAL_SECONDS},
    },
    **(
        {
            "retrain-from-corrections": {
                "task": "moderation.training.retrain",
                "schedule": timedelta(seconds=RETRAIN_INTERVAL_SECONDS),
                "options": {"queue": "training", "expires": RETRAIN_INTERVAL_SECONDS},
            }
        }
        if RETRAIN_INTERVAL_SECONDS > 0
        else {}
    ),
    "dispatch-due-webhooks": {
        "task": "moderation.webhooks.dispatch_due",
        "schedule": timedelta(seconds=WEBHOOK_DISPATCH_INTERVAL_SECONDS),
        "options": {"queue": "default", "expires": WEBHOOK_DISPATCH_INTERVAL_SECONDS},
    },
}
#: How long a web request may spend handing a task to the broker before giving up (the
#: sweeper enqueues it later): a broker outage must not hold API requests.
CELERY_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
