"""Platforms (tenants), their moderation policy, and their API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from classifier.labels import LABELS
from moderation.errors import InvalidPolicy
from moderation.models import ApiKey, ModelVersion, Platform

API_KEY_PREFIX = "tm_"
_PREFIX_CHARS = 10


@dataclass(frozen=True)
class IssuedKey:
    """A freshly issued key. `secret` exists only here: the database keeps its digest."""

    api_key: ApiKey
    secret: str


def api_key_digest(secret: str) -> str:
    """SHA-256 of the key. Keys carry 256 random bits, so a fast unsalted digest is safe."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def default_flag_thresholds() -> dict[str, float]:
    """Flag thresholds for a new platform: the active model's recommendation per label.

    Artifacts carry per-label thresholds chosen on validation data (best F1); a label the model
    recommends nothing for falls back to MODERATION_DEFAULT_FLAG_THRESHOLD.
    """
    fallback = float(settings.MODERATION_DEFAULT_FLAG_THRESHOLD)
    active = ModelVersion.objects.filter(is_active=True).only("thresholds").first()
    recommended = active.thresholds if active is not None else {}
    thresholds = {}
    for label in LABELS:
        value = recommended.get(label)
        if isinstance(value, int | float) and 0.0 < float(value) <= 1.0:
            thresholds[label] = round(float(value), 4)
        else:
            thresholds[label] = fallback
    return thresholds


def default_auto_remove_thresholds() -> dict[str, float]:
    """Auto-remove thresholds for a new platform: the active model's recommendation.

    A model recommends one only for labels whose precision at that score reaches 0.98 on
    natural traffic (see docs/model.md); every other label never removes without a moderator.
    """
    active = ModelVersion.objects.filter(is_active=True).only("auto_remove_thresholds").first()
    recommended = active.auto_remove_thresholds if active is not None else {}
    return {
        label: round(float(value), 4)
        for label, value in recommended.items()
        if label in LABELS and isinstance(value, int | float) and 0.0 < float(value) <= 1.0
    }


def platform_policy_validate(
    *, flag_thresholds: Mapping[str, float], auto_remove_thresholds: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Check a policy; return the complete flag thresholds and the auto-remove thresholds.

    Labels not in `flag_thresholds` take the defaults of `default_flag_thresholds()`; labels not
    in `auto_remove_thresholds` never remove automatically. Raises InvalidPolicy.
    """
    unknown = sorted((set(flag_thresholds) | set(auto_remove_thresholds)) - set(LABELS))
    if unknown:
        raise InvalidPolicy(f"Unknown label(s) {unknown}; the labels are {list(LABELS)}.")
    defaults = default_flag_thresholds()
    complete = {label: float(flag_thresholds.get(label, defaults[label])) for label in LABELS}
    for label, value in complete.items():
        if not 0.0 < value <= 1.0:
            raise InvalidPolicy(f"Flag threshold for {label} must be in (0, 1], got {value}.")
    removal = {label: float(value) for label, value in auto_remove_thresholds.items()}
    for label, value in removal.items():
        if not 0.0 < value <= 1.0:
            raise InvalidPolicy(
                f"Auto-remove threshold for {label} must be in (0, 1], got {value}."
            )
        if value < complete[label]:
            raise InvalidPolicy(
                f"Auto-remove threshold for {label} ({value}) is below its flag threshold "
                f"({complete[label]}); it must be the higher bar."
            )
    return complete, {label: removal[label] for label in LABELS if label in removal}


@transaction.atomic
def platform_create(
    *,
    name: str,
    display_name: str = "",
    flag_thresholds: Mapping[str, float] | None = None,
    auto_remove_thresholds: Mapping[str, float] | None = None,
) -> Platform:
    """Create a platform with a complete, validated policy.

    Defaults come from the active model: its recommended flag thresholds, and auto-remove only
    for the labels it recommends it for (``auto_remove_thresholds={}``: never auto-remove).
    """
    thresholds, removal = platform_policy_validate(
        flag_thresholds=flag_thresholds or {},
        auto_remove_thresholds=(
            default_auto_remove_thresholds()
            if auto_remove_thresholds is None
            else auto_remove_thresholds
        ),
    )
    platform = Platform(
        name=name,
        display_name=display_name,
        flag_thresholds=thresholds,
        auto_remove_thresholds=removal,
    )
    platform.full_clean()
    platform.save()
    return platform


@transaction.atomic
def api_key_issue(*, platform: Platform, name: str = "") -> IssuedKey:
    """Issue a new key for the platform. The returned secret is never retrievable again."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        platform=platform,
        name=name,
        prefix=secret[:_PREFIX_CHARS],
        digest=api_key_digest(secret),
    )
    return IssuedKey(api_key=api_key, secret=secret)


@transaction.atomic
def api_key_rotate(
    *, platform: Platform, grace: timedelta = timedelta(0), name: str = ""
) -> IssuedKey:
    """Issue a new key; the platform's other live keys stop working after `grace`.

    A zero grace revokes them at once; a positive one lets clients switch over first.
    """
    now = timezone.now()
    live = ApiKey.objects.select_for_update().filter(platform=platform, revoked_at__isnull=True)
    if grace <= timedelta(0):
        live.update(revoked_at=now)
    else:
        cutoff = now + grace
        live.filter(expires_at__isnull=True).update(expires_at=cutoff)
        live.filter(expires_at__gt=cutoff).update(expires_at=cutoff)
    return api_key_issue(platform=platform, name=name or f"rotated {now:%Y-%m-%d %H:%M}")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once. Revoking twice keeps the first revocation time."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=api_key.revoked_at
        )
    return api_key


#: last_used_at is written at most this often per key, so reads do not become writes.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record that the key was just used (coarsely, to keep request overhead at one read)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
