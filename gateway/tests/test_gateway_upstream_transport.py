"""The gateway's own HTTP/1.1 pool: keep-alive reuse, chunked bodies both ways, stale connections, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx
import pytest

from gateway.upstream_transport import LeanTransport, NoResponse, _Connection


class Request:
    """httptools callbacks for one request on the test server."""

    def __init__(self) -> None:
        self.url = b""
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


class Upstream:
    """A tiny HTTP/1.1 server on 127.0.0.1 whose paths misbehave on purpose."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Upstream:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                request = Request()
                parser = httptools.HttpRequestParser(request)
                while not request.done:
                    data = await reader.read(65536)
                    if not data:
                        return
                    parser.feed_data(data)
                served += 1
                if not await self.answer(request, served, writer):
                    return
        finally:
            writer.close()

    async def answer(self, request: Request, served: int, writer: asyncio.StreamWriter) -> bool:
        path = request.url.decode()
        if path == "/slow":
            await asyncio.sleep(5)
        if path == "/chunked":
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            for part in (b"alpha-", b"beta-", b"gamma"):
                writer.write(b"%x\r\n%b\r\n" % (len(part), part))
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        body = request.body if path == "/echo" else f"{path}:{served}".encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%b" % (len(body), body))
        await writer.drain()
        return path != "/close"


def client(url: str, max_connections: int = 4, **timeouts: Any) -> httpx.AsyncClient:
    timeout = httpx.Timeout(timeouts.pop("read", 5.0), **timeouts)
    return httpx.AsyncClient(base_url=url, transport=LeanTransport(url, max_connections), timeout=timeout)


async def test_keep_alive_reuses_one_connection() -> None:
    async with Upstream() as upstream, client(upstream.url) as http:
        texts = [(await http.get("/a")).text for _ in range(3)]
    assert texts == ["/a:1", "/a:2", "/a:3"] and upstream.connections == 1


async def test_concurrent_requests_open_up_to_the_limit() -> None:
    async with Upstream() as upstream, client(upstream.url, max_connections=2) as http:
        answers = await asyncio.gather(*(http.get(f"/p{i}") for i in range(6)))
    assert all(a.status_code == 200 for a in answers) and upstream.connections <= 2


async def test_chunked_response_and_streamed_reading() -> None:
    async with Upstream() as upstream, client(upstream.url) as http:
        async with http.stream("GET", "/chunked") as response:
            parts = [chunk async for chunk in response.aiter_raw()]
        assert b"".join(parts) == b"alpha-beta-gamma"
        assert (await http.get("/after")).text == "/after:2"  # the connection went back to the pool
    assert upstream.connections == 1


async def test_chunked_request_body_arrives_whole() -> None:
    async def body() -> AsyncIterator[bytes]:
        for part in (b"one,", b"", b"two,", b"three"):
            yield part

    async with Upstream() as upstream, client(upstream.url) as http:
        response = await http.post("/echo", content=body())
    assert response.content == b"one,two,three"


async def test_a_connection_the_upstream_closed_is_not_reused() -> None:
    async with Upstream() as upstream, client(upstream.url) as http:
        assert (await http.get("/close")).text == "/close:1"
        await asyncio.sleep(0.05)
        assert (await http.get("/next")).text == "/next:1"
    assert upstream.connections == 2


async def test_a_stale_connection_is_retried_once_for_a_replayable_request(monkeypatch: Any) -> None:
    # The upstream's close not yet noticed: the connection looks usable until written to.
    monkeypatch.setattr(_Connection, "usable", lambda self: True)
    async with Upstream() as upstream, client(upstream.url) as http:
        assert (await http.get("/close")).status_code == 200
        await asyncio.sleep(0.05)
        assert (await http.get("/again")).text == "/again:1"

        async def body() -> AsyncIterator[bytes]:
            yield b"once"

        assert (await http.get("/close")).status_code == 200
        await asyncio.sleep(0.05)
        with pytest.raises(NoResponse):  # a streamed body cannot be sent twice
            await http.post("/echo", content=body())


async def test_a_connection_idle_too_long_is_not_reused(monkeypatch: Any) -> None:
    # The upstream closed it after its keep-alive timeout, unnoticed (a busy loop): a streamed body goes
    # out on a fresh connection instead of failing as NoResponse (a 502 for a write the upstream never saw).
    monkeypatch.setattr(_Connection, "usable", lambda self: True)

    async def body() -> AsyncIterator[bytes]:
        yield b"twice"

    async with Upstream() as upstream:
        transport = LeanTransport(upstream.url, 4, idle_seconds=0.05)
        async with httpx.AsyncClient(base_url=upstream.url, transport=transport) as http:
            assert (await http.get("/close")).status_code == 200
            await asyncio.sleep(0.1)
            assert (await http.post("/echo", content=body())).content == b"twice"
    assert upstream.connections == 2


async def test_refused_connection_is_a_connect_error() -> None:
    async with Upstream() as upstream:
        url = upstream.url
    async with client(url) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/x")


async def test_slow_upstream_is_a_read_timeout_and_frees_the_slot() -> None:
    async with Upstream() as upstream, client(upstream.url, max_connections=1, read=0.05) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow")
        assert (await http.get("/fine")).status_code == 200


async def test_a_full_pool_is_a_pool_timeout() -> None:
    async with Upstream() as upstream, client(upstream.url, max_connections=1, pool=0.05) as http:
        async with http.stream("GET", "/held"):
            with pytest.raises(httpx.PoolTimeout):
                await http.get("/waiting")
        assert (await http.get("/later")).status_code == 200


def test_only_plain_http_to_one_host() -> None:
    with pytest.raises(ValueError):
        LeanTransport("https://registry.example", 4)
