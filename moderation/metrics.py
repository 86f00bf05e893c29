"""Prometheus metrics: every metric object lives here, and `/metrics` is rendered here.

Workers observe scoring and webhook attempts into files under PROMETHEUS_MULTIPROC_DIR
(prometheus_client's multiprocess mode, see config/prometheus.py); the web sums those files
and adds what it reads from the database and the broker at scrape time: the scoring backlog,
queue lengths and the active model version. Names and what to alert on: docs/operations.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.conf import settings
from django.utils import timezone

# prometheus_client picks multiprocess mode when it is first imported, from this variable; a
# server has set it to its own subfolder already (config/prometheus.py).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.PROMETHEUS_MULTIPROC_DIR))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.context_managers import Timer  # noqa: E402
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

logger = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "metrics_render"]

#: The queues workers consume (docs/architecture.md); their broker lengths are exported.
BROKER_QUEUES = ("scoring", "webhooks", "training", "default")

COMMENTS_SCORED = Counter(
    "toxmod_comments_scored",
    "Comments scored by workers, by outcome (allowed, flagged, auto_removed).",
    ["outcome"],
)
# Every metric has labels, so none writes a sample file before its first observation: a Celery
# worker imports this module before it has chosen its own folder (config/prometheus.py).
SCORING_LATENCY = Histogram(
    "toxmod_scoring_latency_seconds",
    "Seconds from a comment's creation until a worker scored it, by model version.",
    ["model_version"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)
SCORING_BATCH_SIZE = Histogram(
    "toxmod_scoring_batch_size",
    "Comments per scoring batch (one model call each), by model version.",
    ["model_version"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
MODEL_CALL_SECONDS = Histogram(
    "toxmod_model_call_seconds",
    "Seconds per model call (scores for one batch of texts), by backend.",
    ["backend"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
WEBHOOK_ATTEMPTS = Counter(
    "toxmod_webhook_attempts",
    "Webhook delivery attempts, by result (success, http_error, network_error, refused).",
    ["result"],
)

WEBHOOK_RESULTS = ("success", "http_error", "network_error", "refused")


def scoring_batch_observe(
    *,
    model_version: str,
    scored: int,
    flagged: int,
    auto_removed: int,
    waited_seconds: Sequence[float],
) -> None:
    """Count one scoring batch: its size, its outcomes, and how long each comment waited."""
    if not scored:
        return  # a task that found its comments already scored made no model call
    SCORING_BATCH_SIZE.labels(model_version).observe(scored)
    COMMENTS_SCORED.labels("allowed").inc(scored - flagged - auto_removed)
    COMMENTS_SCORED.labels("flagged").inc(flagged)
    COMMENTS_SCORED.labels("auto_removed").inc(auto_removed)
    latency = SCORING_LATENCY.labels(model_version)
    for seconds in waited_seconds:
        latency.observe(max(0.0, seconds))


def webhook_attempt_observe(*, result: str) -> None:
    """Count one webhook delivery attempt; `result` is one of WEBHOOK_RESULTS."""
    if result not in WEBHOOK_RESULTS:
        raise ValueError(f"Unknown webhook attempt result {result!r}")
    WEBHOOK_ATTEMPTS.labels(result).inc()


def model_call_timer(*, backend: str) -> Timer:
    """A context manager that observes the seconds of one model call."""
    return MODEL_CALL_SECONDS.labels(backend).time()


class _SampleFiles(Collector):
    """The samples every process of this host wrote: files in the root and in each server's
    subfolder, summed (counters and histograms add up across processes)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self) -> Iterable[Metric]:
        try:
            return self._merge()
        except FileNotFoundError:
            # A server restarted between listing and reading and emptied its folder.
            return self._merge()

    def _merge(self) -> Iterable[Metric]:
        files = sorted(str(path) for path in self.root.glob("*.db"))
        files += sorted(str(path) for path in self.root.glob("*/*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call,no-any-return]


class _ScrapeTimeReadings(Collector):
    """What the database and the broker say now. A source that does not answer is left out
    of this scrape (and logged), so the worker samples are still served."""

    def collect(self) -> Iterator[Metric]:
        yield from self._from_database()
        yield from self._from_broker()

    def _from_database(self) -> Iterator[Metric]:
        from moderation.selectors.operations import (
            comments_pending_summary,
            model_version_active,
        )

        try:
            pending = comments_pending_summary()
            active = model_version_active()
        except Exception:
            logger.warning("Metrics: the database did not answer.", exc_info=True)
            return
        yield GaugeMetricFamily(
            "toxmod_comments_pending",
            "Comments accepted and not yet scored.",
            value=pending.count,
        )
        age = 0.0
        if pending.oldest_created_at is not None:
            age = max(0.0, (timezone.now() - pending.oldest_created_at).total_seconds())
        yield GaugeMetricFamily(
            "toxmod_comments_pending_oldest_age_seconds",
            "Age of the oldest comment not yet scored (0 when none waits).",
            value=age,
        )
        info = InfoMetricFamily("toxmod_model_active", "The active model version.")
        if active is not None:
            info.add_metric([], {"version": active.version, "backend": active.backend})
        yield info

    def _from_broker(self) -> Iterator[Metric]:
        broker_url = settings.CELERY_BROKER_URL
        if not broker_url.startswith(("redis://", "rediss://")):
            return  # only Redis queues can be measured this way
        import redis
        from kombu.transport.redis import PRIORITY_STEPS, Channel

        timeout = settings.READINESS_TIMEOUT_SECONDS
        # kombu keeps each priority step of a queue in its own list.
        keys = {
            queue: [queue, *(f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step)]
            for queue in BROKER_QUEUES
        }
        try:
            client = redis.Redis.from_url(
                broker_url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            with client.pipeline(transaction=False) as pipe:
                for queue_keys in keys.values():
                    for key in queue_keys:
                        pipe.llen(key)
                lengths = iter(pipe.execute())
            client.close()
        except redis.RedisError:
            logger.warning("Metrics: the broker did not answer.", exc_info=True)
            return
        family = GaugeMetricFamily(
            "toxmod_broker_queue_length",
            "Tasks waiting in the broker (Redis), by queue.",
            labels=["queue"],
        )
        for queue, queue_keys in keys.items():
            family.add_metric([queue], sum(int(next(lengths)) for _ in queue_keys))
        yield family


def metrics_render() -> bytes:
    """The Prometheus text exposition for `/metrics`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SampleFiles(Path(settings.PROMETHEUS_MULTIPROC_DIR)))
    registry.register(_ScrapeTimeReadings())
    return generate_latest(registry)


def metrics_http_serve(*, port: int) -> bool:
    """Serve this server's own samples (its PROMETHEUS_MULTIPROC_DIR folder) on `port`, from a
    background thread. False, logged, when the port is taken: a worker never fails to start
    over its metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SampleFiles(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])))
    try:
        start_http_server(port, registry=registry)
    except OSError:
        logger.warning("Cannot serve worker metrics on port %d.", port, exc_info=True)
        return False
    logger.info("Serving worker metrics on port %d.", port)
    return True
