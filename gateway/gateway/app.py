"""The gateway app: dev tokens, the edge (tokens, rate limits), routing, dossier, notice board, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp

from gateway import openapi
from gateway.aggregate_routes import router as aggregate_router
from gateway.auth_routes import router as auth_router
from gateway.edge import Edge, RateLimited, rate_limited_response
from gateway.proxy import Upstream, forward
from gateway.routing import ROUTES, upstream_for
from gateway.settings import GatewaySettings, get_settings
from gateway.upstream_transport import LeanTransport
from jzkit import openapi_doc, web
from jzkit.errors import NotFound
from jzkit.oidc import CachedVerifier, TokenVerifier, default_verifier
from jzkit.settings import CommonSettings, get_common_settings, refuse_dev_secrets_outside_embedded

SERVICE = "gateway"
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _upstreams(settings: GatewaySettings, embedded: Mapping[str, ASGIApp]) -> dict[str, Upstream]:
    limits = httpx.Limits(
        max_connections=settings.max_connections_per_upstream,
        max_keepalive_connections=settings.max_connections_per_upstream,
    )
    upstreams: dict[str, Upstream] = {}
    for name in sorted({upstream for _, upstream in ROUTES}):
        read = settings.upstream_read_timeouts.get(name, settings.read_timeout_seconds)
        timeout = httpx.Timeout(read, connect=settings.connect_timeout_seconds)
        if name in embedded:
            transport = httpx.ASGITransport(app=embedded[name])
            client = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=timeout)
        else:
            url = getattr(settings, f"{name}_url")
            if settings.upstream_transport == "lean" and url.startswith("http://"):
                lean = LeanTransport(url, settings.max_connections_per_upstream)
                client = httpx.AsyncClient(base_url=url, timeout=timeout, transport=lean)
            else:
                client = httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
        upstreams[name] = Upstream(
            name=name,
            client=client,
            retries=settings.upstream_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            max_body_bytes=settings.max_body_bytes,
            upload_max_body_bytes=settings.upload_max_body_bytes,
            buffer_below_bytes=settings.buffer_response_below_bytes,
        )
    return upstreams


def create_app(
    settings: GatewaySettings | None = None,
    common: CommonSettings | None = None,
    embedded: Mapping[str, FastAPI] | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    """Build the gateway; ``embedded`` maps upstream names to in-process apps (embedded mode).

    ``verifier`` replaces the configured token verification (OIDC when ``JZ_OIDC_JWKS_URL`` is
    set, else local HS256), at the gateway and in every embedded service alike.
    """
    settings = settings or get_settings()
    common = common or get_common_settings()
    embedded = dict(embedded or {})
    if verifier is not None:
        for service_app in embedded.values():
            service_app.state.token_verifier = verifier

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_dev_secrets_outside_embedded(common)
        async with AsyncExitStack() as stack:
            # In embedded mode the services live in this process: their lifespans nest in ours.
            for service_app in embedded.values():
                await stack.enter_async_context(service_app.router.lifespan_context(service_app))
            app.state.upstreams = _upstreams(settings, embedded)
            app.state.clients = {name: u.client for name, u in app.state.upstreams.items()}
            for client in app.state.clients.values():
                stack.push_async_callback(client.aclose)
            yield

    app = FastAPI(title="Jingzhun API", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None)
    app.state.settings = settings
    app.state.common = common
    # Cached at the edge only: every service still verifies each request it gets (defence in depth).
    app.state.edge = Edge(settings, CachedVerifier(verifier or default_verifier(common)))
    app.include_router(auth_router)
    app.include_router(aggregate_router)

    async def upstreams_ready() -> None:
        failures = []
        for name, client in app.state.clients.items():
            try:
                response = await client.get("/readyz")
                if response.status_code != 200:
                    failures.append(f"{name}: {response.status_code}")
            except httpx.HTTPError as exc:
                failures.append(f"{name}: {type(exc).__name__}")
        if failures:
            raise RuntimeError(", ".join(failures))

    web.install(app, SERVICE, {"upstreams": upstreams_ready})
    app.add_exception_handler(RateLimited, rate_limited_response)

    @app.get("/openapi.json", include_in_schema=False)
    async def merged_openapi() -> JSONResponse:
        own = openapi_doc.document(get_openapi(title=app.title, version=app.version, routes=app.routes))
        docs = await openapi.fetch(app.state.clients)
        return JSONResponse(openapi.merge(own, docs))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Jingzhun API")

    @app.api_route("/api/v1/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
    async def route_to_service(request: Request, path: str) -> Response:
        upstream = upstream_for(request.url.path)
        if upstream is None:
            raise NotFound("route", request.url.path, "接口")
        await app.state.edge.admit(request)
        return await forward(request, app.state.upstreams[upstream])

    return app
