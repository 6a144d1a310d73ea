"""What the edge checks before a request goes anywhere: the token, rate limits per client and per IP."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from gateway import metrics
from gateway.settings import GatewaySettings
from jzkit.auth import Principal, bearer_token
from jzkit.errors import DomainError, problem_body
from jzkit.oidc import TokenVerifier
from jzkit.ratelimit import TokenBuckets, retry_after_header
from jzkit.web import language, problem_response

PUBLIC_PREFIX = "/api/v1/public/"


class RateLimited(DomainError):
    """429: too many requests from this client or address; ``Retry-After`` says when to come back."""

    status = 429

    def __init__(self, scope: str, wait_seconds: float) -> None:
        super().__init__(
            "rate-limited",
            "too many requests, retry later",
            "请求过于频繁，请稍后再试",
            extra={"retry_after": int(retry_after_header(wait_seconds))},
        )
        self.scope = scope
        self.wait_seconds = wait_seconds


async def rate_limited_response(request: Request, exc: Exception) -> JSONResponse:
    """The 429 problem with its ``Retry-After`` header (the kit's handler sets no headers for it)."""
    assert isinstance(exc, RateLimited)
    body = problem_body(exc, language(request), request.url.path)
    return problem_response(429, body, {"Retry-After": retry_after_header(exc.wait_seconds)})


def is_public(path: str) -> bool:
    """The only unauthenticated surface: the notice board and the division names it prints."""
    return path.startswith(PUBLIC_PREFIX)


class Edge:
    """Authenticates non-public requests and applies the token buckets."""

    def __init__(
        self,
        settings: GatewaySettings,
        verifier: TokenVerifier,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verifier = verifier
        self.trust_forwarded_for = settings.trust_forwarded_for
        self.clients = TokenBuckets(settings.client_rate_per_second, settings.client_burst, clock)
        self.addresses = TokenBuckets(settings.public_rate_per_second, settings.public_burst, clock)

    def client_address(self, request: Request) -> str:
        """The caller's IP: the socket peer, or the last X-Forwarded-For hop when a trusted proxy sets it."""
        if self.trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for", "")
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            if hops:
                return hops[-1]
        return request.client.host if request.client else "unknown"

    def limit_public(self, request: Request) -> None:
        """Raise RateLimited when this address has used up its bucket."""
        wait = self.addresses.take(self.client_address(request))
        if wait:
            metrics.RATE_LIMITED.labels("ip").inc()
            raise RateLimited("ip", wait)

    async def authenticate(self, request: Request) -> Principal:
        """The verified caller, within its rate limit (refused at the edge, before any upstream)."""
        principal = await self.verifier.verify(bearer_token(request.headers.get("authorization")))
        wait = self.clients.take(principal.subject)
        if wait:
            metrics.RATE_LIMITED.labels("client").inc()
            raise RateLimited("client", wait)
        return principal

    async def admit(self, request: Request) -> Principal | None:
        """Public routes: limited per IP; all others: a valid token, limited per client id."""
        if is_public(request.url.path):
            self.limit_public(request)
            return None
        return await self.authenticate(request)
