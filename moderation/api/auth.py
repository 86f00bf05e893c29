"""API-key authentication: `Authorization: Bearer <key>`, scoped to the key's platform."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from moderation.models import ApiKey, Platform
from moderation.services.platforms import api_key_digest, api_key_mark_used


@dataclass(frozen=True)
class PlatformClient:
    """The authenticated caller of an API request: a platform, through one of its keys."""

    platform: Platform
    api_key: ApiKey
    is_authenticated: bool = True


def platform_client_for_key(secret: str) -> PlatformClient:
    """The caller that `secret` (an API key) stands for; AuthenticationFailed with a stable
    code (invalid_api_key, key_revoked, key_expired, platform_disabled) if none."""
    digest = api_key_digest(secret)
    api_key = ApiKey.objects.select_related("platform").filter(digest=digest).first()
    # The index lookup is by digest, so its timing says nothing about the key itself; the
    # final equality check is constant-time all the same, and exact whatever collation or
    # case folding a database applies to the lookup.
    if api_key is None or not hmac.compare_digest(api_key.digest, digest):
        raise exceptions.AuthenticationFailed("The API key is not valid.", code="invalid_api_key")
    now = timezone.now()
    if api_key.revoked_at is not None and api_key.revoked_at <= now:
        raise exceptions.AuthenticationFailed("This API key was revoked.", code="key_revoked")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise exceptions.AuthenticationFailed(
            "This API key expired after a rotation; use the new key.", code="key_expired"
        )
    if not api_key.platform.is_active:
        raise exceptions.AuthenticationFailed(
            "This platform is disabled.", code="platform_disabled"
        )
    api_key_mark_used(api_key=api_key)
    return PlatformClient(platform=api_key.platform, api_key=api_key)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[PlatformClient, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed(
                "Use `Authorization: Bearer <api key>`.", code="invalid_authorization_header"
            )
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be `Bearer <api key>`.",
                code="invalid_authorization_header",
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The API key is not valid.", code="invalid_api_key"
            ) from exc
        client = platform_client_for_key(secret)
        return client, client.api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class QueryKeyAuthentication(authentication.BaseAuthentication):
    """The key as `?key=<api key>`, the way Perspective API clients send it (the compatible
    endpoints only: a key in a URL ends up in access logs, so our own API does not take it)."""

    def authenticate(self, request: Request) -> tuple[PlatformClient, ApiKey] | None:
        secret = request.query_params.get("key")
        if secret is None:
            return None
        if not secret or not secret.isascii() or "\x00" in secret:
            raise exceptions.AuthenticationFailed(
                "The API key is not valid.", code="invalid_api_key"
            )
        client = platform_client_for_key(secret)
        return client, client.api_key


class IsPlatformClient(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, PlatformClient)


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window counter kept with the cache's atomic `add` and `incr` (Redis `SET NX`
    with an expiry, then `INCR`), so parallel requests cannot all read the same count and
    all pass: exactly `num_requests` are allowed per window, however many arrive at once.

    DRF's own throttle reads the request history, then writes it back: between the two,
    every parallel request saw room left (60 simultaneous requests at 20/min got 42 answers).
    """

    _wait_seconds: float = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:
            return True
        now = self.timer()
        window = int(now // duration)
        key = f"{self.key}:{window}"
        # Expires with its window (plus a second of clock skew between web processes).
        timeout = duration + 1
        self.cache.add(key, 0, timeout=timeout)
        try:
            count = int(self.cache.incr(key))
        except ValueError:  # expired between add and incr: this request opens a new count
            self.cache.add(key, 0, timeout=timeout)
            count = int(self.cache.incr(key))
        self._wait_seconds = (window + 1) * duration - now
        return count <= num_requests

    def wait(self) -> float | None:
        """Seconds until the current window ends (at least one)."""
        return max(1.0, self._wait_seconds)


#: Set on a request that its key's rate limit refused (see PlatformRateThrottle).
_REFUSED_BY_KEY_LIMIT = "_toxmod_refused_by_key_limit"


class PlatformRateThrottle(AtomicRateThrottle):
    """Requests per platform (all its keys together), rate from API_RATE_LIMIT.

    A request its key's own limit already refused is not counted: a runaway key must not use
    up the budget of the platform's other keys with requests that were never served.
    """

    scope = "platform"

    def allow_request(self, request: Request, view: Any) -> bool:
        if getattr(request, _REFUSED_BY_KEY_LIMIT, False):
            return True  # refused anyway, by ApiKeyRateThrottle (which runs first)
        return bool(super().allow_request(request, view))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.user, PlatformClient):
            return self.cache_format % {"scope": self.scope, "ident": request.user.platform.pk}
        return None


class ApiKeyRateThrottle(AtomicRateThrottle):
    """Requests per API key, rate from API_KEY_RATE_LIMIT: one leaked or runaway key cannot
    use up its platform's whole budget (PlatformRateThrottle) while the others still work."""

    scope = "api_key"

    def allow_request(self, request: Request, view: Any) -> bool:
        allowed = bool(super().allow_request(request, view))
        if not allowed:
            setattr(request, _REFUSED_BY_KEY_LIMIT, True)
        return allowed

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.user, PlatformClient):
            return self.cache_format % {"scope": self.scope, "ident": request.user.api_key.pk}
        return None


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "moderation.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A platform API key."}


class QueryKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "moderation.api.auth.QueryKeyAuthentication"
    name = "QueryKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "key",
            "description": "A platform API key, the way Perspective clients pass theirs.",
        }
