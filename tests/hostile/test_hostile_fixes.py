"""In-process checks of what the hostile runs found and fixed (fast: no stack).

A NUL in a path, query or JSON string reached PostgreSQL (500); the gateway rebuilt upstream URLs
from decoded paths (500 on an encoded control character); the OpenAPI documents named no error
but 422, and that with a body the API never sends. Each fix is pinned here.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from starlette.requests import Request

from gateway.proxy import _target
from jzkit.openapi_doc import BEARER, file_response
from jzkit.web import install


class Note(BaseModel):
    text: str
    tags: list[str] = []


def _app() -> FastAPI:
    app = FastAPI()
    install(app, "hostile-test", {}, refuse_nul=True)

    @app.get("/api/v1/notes/{note_id}")
    async def read(note_id: str, q: str = "") -> dict[str, str]:
        return {"id": note_id, "q": q}

    @app.patch("/api/v1/notes/{note_id}")
    async def change(
        note_id: str,
        note: Note,
        _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
        if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    ) -> dict[str, Any]:
        return {"id": note_id, **note.model_dump()}

    @app.get(
        "/api/v1/notes.csv",
        response_class=Response,
        responses=file_response("text/csv; charset=utf-8", "CSV"),
    )
    async def export() -> Response:
        return Response("id\n", media_type="text/csv")

    return app


async def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, url, **kwargs)


async def test_a_nul_anywhere_is_a_422_naming_its_field() -> None:
    cases = [
        ("GET", "/api/v1/notes/a%00b", {}, "path"),
        ("GET", "/api/v1/notes/a?q=x%00", {}, "q"),
        ("PATCH", "/api/v1/notes/a", {"json": {"text": "ok", "tags": ["x", "y\x00"]}}, "tags[1]"),
        ("PATCH", "/api/v1/notes/a", {"json": {"text": "\x00"}}, "text"),
    ]
    for method, url, kwargs, field in cases:
        response = await _call(method, url, **kwargs)
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.json()["code"], response.json()["field"]) == ("invalid-character", field)


async def test_clean_requests_pass_the_guard_with_their_body_intact() -> None:
    got = await _call("PATCH", "/api/v1/notes/a", json={"text": "多行\\u0000 is text", "tags": ["t"]})
    assert got.status_code == 200 and got.json() == {"id": "a", "text": "多行\\u0000 is text", "tags": ["t"]}
    assert (await _call("GET", "/api/v1/notes/a?q=%01")).json() == {"id": "a", "q": "\x01"}


def test_the_document_names_every_problem_an_operation_can_answer() -> None:
    doc = _app().openapi()  # web.install serves openapi_doc.document of the app's own schema
    patch = doc["paths"]["/api/v1/notes/{note_id}"]["patch"]
    read = doc["paths"]["/api/v1/notes/{note_id}"]["get"]
    assert patch["security"] == [{"bearer": []}]
    assert set(patch["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "422",
        "428",
        "429",
    }
    assert set(read["responses"]) == {"200", "404", "422"}  # no token, no body, not under /public/
    problem = patch["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert patch["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    csv = doc["paths"]["/api/v1/notes.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


def test_the_gateway_forwards_the_path_as_sent() -> None:
    def target(raw_path: bytes, query: bytes = b"") -> bytes:
        scope = {
            "type": "http",
            "path": raw_path.decode("latin-1"),
            "raw_path": raw_path,
            "query_string": query,
        }
        return _target(Request(scope)).raw_path

    assert target(b"/api/v1/households/%0C%C3%B7") == b"/api/v1/households/%0C%C3%B7"
    assert target(b"/api/v1/households/a%2Fb/assessment") == b"/api/v1/households/a%2Fb/assessment"
    assert target(b"/api/v1/x/\xc3\xa9 y", b"name=%00&a=b c") == b"/api/v1/x/%C3%A9%20y?name=%00&a=b%20c"
