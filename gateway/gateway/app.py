"""The gateway app: dev tokens, routing to services, health, metrics, merged OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.types import ASGIApp

from gateway import openapi
from gateway.auth_routes import router as auth_router
from gateway.proxy import forward
from gateway.routing import ROUTES, upstream_for
from gateway.settings import GatewaySettings, get_settings
from jzkit import web
from jzkit.errors import NotFound
from jzkit.settings import CommonSettings, get_common_settings, refuse_dev_secrets_outside_embedded

SERVICE = "gateway"
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _clients(settings: GatewaySettings, embedded: Mapping[str, ASGIApp]) -> dict[str, httpx.AsyncClient]:
    timeout = httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds)
    limits = httpx.Limits(max_connections=settings.max_connections_per_upstream)
    clients: dict[str, httpx.AsyncClient] = {}
    for name in sorted({upstream for _, upstream in ROUTES}):
        if name in embedded:
            transport = httpx.ASGITransport(app=embedded[name])
            clients[name] = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=timeout)
        else:
            url = getattr(settings, f"{name}_url")
            clients[name] = httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
    return clients


def create_app(
    settings: GatewaySettings | None = None,
    common: CommonSettings | None = None,
    embedded: Mapping[str, FastAPI] | None = None,
) -> FastAPI:
    """Build the gateway; ``embedded`` maps upstream names to in-process apps (embedded mode)."""
    settings = settings or get_settings()
    common = common or get_common_settings()
    embedded = dict(embedded or {})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_dev_secrets_outside_embedded(common)
        async with AsyncExitStack() as stack:
            # In embedded mode the services live in this process: their lifespans nest in ours.
            for service_app in embedded.values():
                await stack.enter_async_context(service_app.router.lifespan_context(service_app))
            app.state.clients = _clients(settings, embedded)
            for client in app.state.clients.values():
                stack.push_async_callback(client.aclose)
            yield

    app = FastAPI(title="Jingzhun API", version="1.0.0", lifespan=lifespan, openapi_url=None, docs_url=None)
    app.state.settings = settings
    app.state.common = common
    app.include_router(auth_router)

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

    @app.get("/openapi.json", include_in_schema=False)
    async def merged_openapi() -> JSONResponse:
        own = get_openapi(title=app.title, version=app.version, routes=app.routes)
        docs = await openapi.fetch(app.state.clients)
        return JSONResponse(openapi.merge(own, docs))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Jingzhun API")

    @app.api_route("/api/v1/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
    async def route_to_service(request: Request, path: str) -> StreamingResponse:
        upstream = upstream_for(request.url.path)
        if upstream is None:
            raise NotFound("route", request.url.path, "接口")
        client: httpx.AsyncClient = app.state.clients[upstream]
        return await forward(request, client, upstream)

    return app
