"""Webhooks: endpoints, the outbox of deliveries, signed sending with retries, redelivery.

Deliveries are rows written in the transaction of the change that causes them; tasks only
carry their ids. A delivery is sent by whoever claims it (a short lock in the row), so a
crashed sender delays it, never drops or duplicates it, and every attempt carries the same
`webhook-id`.

The queue holds at most one task per delivery: handing a delivery to the queue claims it
(`queued_until`), and dispatch enqueues a due delivery again only once that claim has run out
(its task was lost). At most WEBHOOK_ENDPOINT_CONCURRENCY attempts to one endpoint are in
flight; a send that finds its endpoint busy leaves the delivery waiting in the database, and
each finished attempt hands the endpoint's next due delivery to the queue. Dispatch gives
each platform at most WEBHOOK_DISPATCH_PER_PLATFORM deliveries a pass, so a backlog at one
receiver does not delay another platform's events.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from moderation import enqueue, metrics, outbound
from moderation.errors import ModerationError
from moderation.models import (
    SUBSCRIBABLE_EVENT_TYPES,
    Comment,
    CommentStatus,
    DeliveryStatus,
    ModelVersion,
    Platform,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

logger = logging.getLogger(__name__)

USER_AGENT = "toxmod-webhooks/1.0"


class InvalidEndpoint(ModerationError):
    """An endpoint's URL or event types are not acceptable."""

    code = "invalid_endpoint"


class EndpointLimitReached(ModerationError):
    """The platform has WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM endpoints already."""

    code = "too_many_endpoints"


@dataclass(frozen=True)
class IssuedEndpoint:
    """A new endpoint and its signing secret, which is shown to the platform only here."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class WebhookEvent:
    """An event to deliver to every subscribed endpoint of a platform."""

    platform_id: int
    event_type: str
    data: Mapping[str, Any]
    comment_id: int | None = None


def webhook_secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _allowed_networks() -> list[outbound.IPNetwork]:
    return outbound.parse_networks(settings.WEBHOOK_ALLOWED_NETWORKS)


def webhook_url_validate(url: str) -> None:
    """Refuse URLs that can never be called (InvalidEndpoint); names are checked at send."""
    try:
        outbound.check_url_shape(url)
        host = urlsplit(url).hostname or ""
        # An address, or a name that is loopback wherever it is resolved, is checked now;
        # any other name is resolved and checked at every send.
        literal = outbound.literal_address(host) or outbound.loopback_name_address(host)
        if literal is not None:
            outbound.check_address(host, literal, _allowed_networks())
    except outbound.UnsafeUrl as exc:
        raise InvalidEndpoint(str(exc)) from exc


def _validate_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [value for value in chosen if value not in SUBSCRIBABLE_EVENT_TYPES]
    if unknown:
        raise InvalidEndpoint(
            f"Unknown event type(s) {unknown}; choose from {SUBSCRIBABLE_EVENT_TYPES}."
        )
    return chosen


@transaction.atomic
def webhook_endpoint_create(
    *,
    platform: Platform,
    url: str,
    event_types: Sequence[str] = (),
    description: str = "",
) -> IssuedEndpoint:
    """Add an endpoint (all event types when `event_types` is empty); raises InvalidEndpoint,
    or EndpointLimitReached when the platform has WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM."""
    webhook_url_validate(url)
    # The platform's row is locked so that two creations at once cannot both pass the cap.
    Platform.objects.select_for_update().filter(pk=platform.pk).values_list("pk").first()
    limit = settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM
    if WebhookEndpoint.objects.filter(platform=platform).count() >= limit:
        raise EndpointLimitReached(
            f"A platform may have at most {limit} webhook endpoints; delete one first."
        )
    secret = webhook_secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        platform=platform,
        url=url,
        event_types=_validate_event_types(event_types),
        description=description,
        secret=secret,
    )
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Re-enabling one clears its disabled state and failure streak, and
    its pending deliveries go out again."""
    if url is not None:
        webhook_url_validate(url)
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = _validate_event_types(event_types)
    if description is not None:
        endpoint.description = description
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        if is_active:
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            endpoint.failing_since = None
            transaction.on_commit(webhook_deliveries_dispatch_due, robust=True)
        else:
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = "Disabled by the platform."
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their log (undelivered events are dropped)."""
    endpoint.delete()


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason
    )
    logger.warning(
        "Disabled webhook endpoint %s: %s",
        endpoint.public_id,
        reason,
        extra={"endpoint_id": endpoint.pk},
    )


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, grace: timedelta | None = None
) -> str:
    """Issue a new secret. During `grace` deliveries carry signatures of both secrets."""
    if grace is None:
        grace = timedelta(hours=settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS)
    new_secret = webhook_secret_generate()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + grace
    else:
        endpoint.previous_secret = ""
        endpoint.previous_secret_expires_at = None
    endpoint.secret = new_secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return new_secret


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def comment_event_data(comment: Comment) -> dict[str, Any]:
    """The `data` of a comment event: the comment as the API shows it, without its text."""
    return {
        "platform": comment.platform.name,
        "comment": {
            "id": str(comment.public_id),
            "external_id": comment.external_id,
            "author_id": comment.author_id,
            "status": comment.status,
            "flagged": comment.is_flagged,
            "flagged_labels": list(comment.flagged_labels),
            "scores": comment.scores,
            "model_version": comment.model_version.version if comment.model_version else None,
            "decision": comment.decision or None,
            "decided_at": _iso(comment.decided_at),
            "created_at": _iso(comment.created_at),
            "scored_at": _iso(comment.scored_at),
        },
    }


def comment_scored_events(comments: Iterable[Comment]) -> list[WebhookEvent]:
    """`comment.scored` for comments just scored for the first time, whatever the outcome
    (allowed included): for platforms that hold a comment back until it is scored."""
    return [
        WebhookEvent(
            platform_id=comment.platform_id,
            event_type=WebhookEventType.COMMENT_SCORED,
            data=comment_event_data(comment),
            comment_id=comment.pk,
        )
        for comment in comments
        if comment.scored_at is not None
    ]


def comment_outcome_events(comments: Iterable[Comment]) -> list[WebhookEvent]:
    """`comment.flagged` / `comment.auto_removed` for comments that just got that outcome."""
    types = {
        CommentStatus.FLAGGED: WebhookEventType.COMMENT_FLAGGED,
        CommentStatus.AUTO_REMOVED: WebhookEventType.COMMENT_AUTO_REMOVED,
    }
    return [
        WebhookEvent(
            platform_id=comment.platform_id,
            event_type=types[CommentStatus(comment.status)],
            data=comment_event_data(comment),
            comment_id=comment.pk,
        )
        for comment in comments
        if comment.status in types
    ]


def webhook_events_emit(events: Sequence[WebhookEvent]) -> list[WebhookDelivery]:
    """Write one delivery per event and subscribed active endpoint, and send them after commit.

    Call it inside the transaction of the change the events describe: if that rolls back,
    no delivery exists; if it commits, every delivery will be attempted.
    """
    if not events:
        return []
    platform_ids = {event.platform_id for event in events}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(platform_id__in=platform_ids, is_active=True):
        endpoints.setdefault(endpoint.platform_id, []).append(endpoint)
    now = timezone.now()
    deliveries = []
    for event in events:
        for endpoint in endpoints.get(event.platform_id, []):
            if not endpoint.subscribes_to(event.event_type):
                continue
            webhook_id = f"msg_{uuid.uuid4().hex}"
            deliveries.append(
                WebhookDelivery(
                    webhook_id=webhook_id,
                    endpoint=endpoint,
                    event_type=event.event_type,
                    payload={
                        "type": event.event_type,
                        "timestamp": now.isoformat(),
                        "data": dict(event.data),
                    },
                    comment_id=event.comment_id,
                    next_attempt_at=now,
                    queued_until=_queue_claim(now),
                )
            )
    created = WebhookDelivery.objects.bulk_create(deliveries)
    if created:
        transaction.on_commit(
            partial(_publish_sends, [delivery.pk for delivery in created]), robust=True
        )
    return created


def model_promoted_events(model_version: ModelVersion) -> list[WebhookEvent]:
    """`model.promoted` for every platform (a model change affects all of them)."""
    data = {
        "model_version": {
            "version": model_version.version,
            "backend": model_version.backend,
            "activated_at": _iso(model_version.activated_at),
        }
    }
    return [
        WebhookEvent(platform_id=pk, event_type=WebhookEventType.MODEL_PROMOTED, data=data)
        for pk in Platform.objects.filter(is_active=True).values_list("pk", flat=True)
    ]


@transaction.atomic
def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` event to this endpoint alone, whatever it subscribes to."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        webhook_id=f"msg_{uuid.uuid4().hex}",
        endpoint=endpoint,
        event_type=WebhookEventType.WEBHOOK_TEST,
        payload={
            "type": WebhookEventType.WEBHOOK_TEST.value,
            "timestamp": now.isoformat(),
            "data": {"platform": endpoint.platform.name, "endpoint_id": str(endpoint.public_id)},
        },
        next_attempt_at=now,
        queued_until=_queue_claim(now),
    )
    transaction.on_commit(partial(_publish_sends, [delivery.pk], manual=True), robust=True)
    return delivery


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with the same `webhook-id` (a new attempt in its log)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        locked_until=None,
        queued_until=_queue_claim(now),
    )
    transaction.on_commit(partial(_publish_sends, [delivery.pk], manual=True), robust=True)
    delivery.refresh_from_db()
    return delivery


def _publish_sends(
    delivery_ids: Sequence[int], *, manual: bool = False, countdown: float | None = None
) -> None:
    try:
        for delivery_id in delivery_ids:
            enqueue.task_send(
                enqueue.WEBHOOKS_SEND,
                args=(delivery_id,),
                kwargs={"manual": manual},
                countdown=countdown or 0,
            )
    except Exception:
        logger.warning(
            "Could not enqueue %d webhook deliveries; dispatch will pick them up.",
            len(delivery_ids),
            exc_info=True,
            extra={"delivery_ids": list(delivery_ids)},
        )


def _queue_claim(due: datetime) -> datetime:
    """Until when a delivery due at `due` and handed to the queue now stays claimed."""
    return due + timedelta(seconds=settings.WEBHOOK_QUEUE_CLAIM_SECONDS)


def _due(now: datetime) -> QuerySet[WebhookDelivery]:
    """Pending deliveries that are due, to an active endpoint, and in nobody's hands: no
    sender holds them and no task for them is in the queue (or its claim ran out)."""
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .filter(Q(queued_until__isnull=True) | Q(queued_until__lt=now))
    )


def _claim_and_publish(ids: Sequence[int], now: datetime) -> int:
    """Claim these deliveries for the queue (skipping rows another transaction holds, and any
    claimed meanwhile) and send their tasks after commit; return how many."""
    with transaction.atomic():
        claimed = list(
            _due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(ids))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
        )
        if claimed:
            WebhookDelivery.objects.filter(pk__in=claimed).update(queued_until=_queue_claim(now))
            transaction.on_commit(partial(_publish_sends, claimed), robust=True)
    return len(claimed)


def webhook_deliveries_dispatch_due(*, limit: int = 1000) -> int:
    """Enqueue sends for pending deliveries that are due and in nobody's hands (beat runs
    this); return how many.

    This picks up retries scheduled beyond WEBHOOK_COUNTDOWN_MAX_SECONDS, deliveries whose task
    was lost (a broker outage, a killed worker: once their queue claim runs out), those left
    waiting while their endpoint was busy, and those of a re-enabled endpoint. Each platform
    gets at most WEBHOOK_DISPATCH_PER_PLATFORM of a pass, and each endpoint at most
    WEBHOOK_ENDPOINT_CONCURRENCY, oldest due first.
    """
    now = timezone.now()
    order = [F("next_attempt_at").asc(), F("pk").asc()]
    ranked = _due(now).annotate(
        platform_rank=Window(
            RowNumber(), partition_by=[F("endpoint__platform_id")], order_by=order
        ),
        endpoint_rank=Window(RowNumber(), partition_by=[F("endpoint_id")], order_by=order),
    )
    ids = list(
        ranked.filter(
            platform_rank__lte=settings.WEBHOOK_DISPATCH_PER_PLATFORM,
            endpoint_rank__lte=settings.WEBHOOK_ENDPOINT_CONCURRENCY,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return _claim_and_publish(ids, now) if ids else 0


def _endpoint_next_publish(endpoint_id: int) -> None:
    """Hand the endpoint's oldest due delivery in nobody's hands to the queue: a finished
    attempt frees a slot of the endpoint's concurrency, and this fills it."""
    now = timezone.now()
    ids = list(
        _due(now)
        .filter(endpoint_id=endpoint_id)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:1]
    )
    if ids:
        _claim_and_publish(ids, now)


def _signature_header(endpoint: WebhookEndpoint, webhook_id: str, at: datetime, body: str) -> str:
    secrets_in_use = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > at
    ):
        secrets_in_use.append(endpoint.previous_secret)
    return " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body)
        for secret in secrets_in_use
    )


def _retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _next_delay(attempt_count: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after `attempt_count` attempts, or None to give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    if attempt_count > len(schedule):
        return None
    base = float(schedule[attempt_count - 1])
    jitter = settings.WEBHOOK_RETRY_JITTER
    delay = base * random.uniform(1 - jitter, 1 + jitter) if jitter else base
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(max(schedule))))
    return delay


@dataclass(frozen=True)
class AttemptResult:
    succeeded: bool
    status_code: int | None
    latency_ms: int | None
    body_start: str
    error: str
    retry_after: float | None
    #: The SSRF guard refused the address: nothing was sent.
    refused: bool = False

    @property
    def outcome(self) -> str:
        """success, http_error (an answer that is not 2xx), refused, or network_error."""
        if self.succeeded:
            return "success"
        if self.status_code is not None:
            return "http_error"
        return "refused" if self.refused else "network_error"


def _attempt(delivery: WebhookDelivery, now: datetime) -> AttemptResult:
    endpoint = delivery.endpoint
    body = json.dumps(
        {"id": delivery.webhook_id, **delivery.payload}, separators=(",", ":"), ensure_ascii=False
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": _signature_header(endpoint, delivery.webhook_id, now, body),
    }
    try:
        response = outbound.post_json(
            endpoint.url,
            body.encode("utf-8"),
            headers,
            allowed_networks=_allowed_networks(),
            timeout_seconds=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    except outbound.UnsafeUrl as exc:
        return AttemptResult(
            False, None, None, "", f"Refused, no request sent: {exc}", None, refused=True
        )
    except urllib3.exceptions.HTTPError as exc:
        return AttemptResult(False, None, None, "", f"{type(exc).__name__}: {exc}"[:500], None)
    ok = 200 <= response.status_code < 300
    error = "" if ok else f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        error += " (redirects are not followed)"
    return AttemptResult(
        ok,
        response.status_code,
        response.latency_ms,
        response.body_start,
        error,
        _retry_after_seconds(response.headers, now),
    )


def webhook_delivery_send(*, delivery_id: int, manual: bool = False) -> WebhookAttempt | None:
    """Make one attempt at a pending, due delivery, and schedule the next one if it fails.

    Returns None, having sent nothing, when the delivery is gone, done, not yet due, held by
    another sender, or its endpoint is disabled; also when WEBHOOK_ENDPOINT_CONCURRENCY
    attempts to its endpoint are in flight, and then the delivery waits in the database for a
    finished attempt (or dispatch) to hand it to the queue again. Otherwise records the
    attempt and hands the endpoint's next due delivery to the queue: success ends
    the delivery; `410 Gone` disables the endpoint; other failures are retried on the
    WEBHOOK_RETRY_SCHEDULE_SECONDS schedule (honouring Retry-After) until it runs out, and an
    endpoint failing for WEBHOOK_DISABLE_AFTER_SECONDS is disabled.
    """
    now = timezone.now()
    endpoint_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    )
    if endpoint_id is None:
        return None
    with transaction.atomic():
        # The endpoint's row serialises the claims of its senders, so the count holds.
        WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).values_list("pk").first()
        in_flight = (
            WebhookDelivery.objects.filter(endpoint_id=endpoint_id, locked_until__gt=now)
            .exclude(pk=delivery_id)
            .count()
        )
        claimable = WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        ).filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        if in_flight >= settings.WEBHOOK_ENDPOINT_CONCURRENCY:
            claimable.update(queued_until=None)  # waits for a free slot, not in the queue
            return None
        claimed = claimable.update(
            locked_until=now + timedelta(seconds=settings.WEBHOOK_LOCK_SECONDS),
            queued_until=None,
        )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__platform").get(pk=delivery_id)
    result = _attempt(delivery, now)
    finished = timezone.now()
    metrics.webhook_attempt_observe(result=result.outcome)

    retry_in: float | None = None
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            succeeded=result.succeeded,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            response_body=result.body_start,
            error=result.error,
            manual=manual,
        )
        delivery.attempt_count += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error
        delivery.locked_until = None
        if result.succeeded:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        else:
            if endpoint.failing_since is None:
                endpoint.failing_since = now
                endpoint.save(update_fields=["failing_since"])
            failing_for = (finished - endpoint.failing_since).total_seconds()
            if result.status_code == 410:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                _disable(endpoint, "The receiver answered 410 Gone.", finished)
            elif failing_for >= settings.WEBHOOK_DISABLE_AFTER_SECONDS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                days = failing_for / 86400
                _disable(endpoint, f"Every attempt failed for {days:.1f} days.", finished)
            else:
                retry_in = _next_delay(delivery.attempt_count, result.retry_after)
                if retry_in is None:
                    delivery.status = DeliveryStatus.FAILED
                    delivery.next_attempt_at = None
                else:
                    delivery.next_attempt_at = finished + timedelta(seconds=retry_in)
                    if retry_in <= settings.WEBHOOK_COUNTDOWN_MAX_SECONDS:
                        delivery.queued_until = _queue_claim(delivery.next_attempt_at)
        delivery.save(
            update_fields=[
                "attempt_count",
                "last_status_code",
                "last_error",
                "locked_until",
                "status",
                "delivered_at",
                "next_attempt_at",
                "queued_until",
            ]
        )
        if retry_in is not None and retry_in <= settings.WEBHOOK_COUNTDOWN_MAX_SECONDS:
            transaction.on_commit(
                partial(_publish_sends, [delivery.pk], countdown=retry_in), robust=True
            )
        transaction.on_commit(partial(_endpoint_next_publish, endpoint.pk), robust=True)
    logger.log(
        logging.INFO if result.succeeded else logging.WARNING,
        "Webhook %s attempt %d to endpoint %s: %s%s%s.",
        delivery.webhook_id,
        delivery.attempt_count,
        endpoint.public_id,
        result.outcome,
        f" ({result.error})" if result.error else "",
        f", next in {retry_in:.0f} s" if retry_in is not None else "",
        extra={
            "delivery_id": delivery.pk,
            "webhook_id": delivery.webhook_id,
            "endpoint_id": endpoint.pk,
            "comment_id": delivery.comment_id,
            "event_type": delivery.event_type,
            "attempt": delivery.attempt_count,
            "outcome": result.outcome,
            "status_code": result.status_code,
            "delivery_status": delivery.status,
        },
    )
    return attempt
