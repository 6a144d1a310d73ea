"""A lean HTTP/1.1 keep-alive pool to one upstream, as an httpx transport (parsing by httptools).

httpcore 1.0's pool rescans every connection for every queued request and wakes every waiter
when one connection frees up (encode/httpcore#1035, pydantic/httpx2#1075): at the gateway's
concurrency that cost more than the upstream call itself. This transport keeps idle connections
in a LIFO list and bounds them with a semaphore; everything above it (timeouts in the request's
extensions, errors as httpx exceptions, streamed bodies) stays httpx, so callers do not change.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools
import httpx

READ_SIZE = 65536
# The services' server (uvicorn) closes a keep-alive connection after 5 s idle. A connection reused at
# about that age may be closing as the request goes out, unnoticed while this loop is busy: a request with
# a streamed body (a write without Idempotency-Key) cannot be sent again and would fail as a 502 though
# the upstream never saw it (found by ``make soak`` under load). Idle connections are dropped before.
IDLE_SECONDS = 4.0


class NoResponse(httpx.RemoteProtocolError):
    """The connection failed before any byte of a response arrived (a closed keep-alive, typically)."""


class _Parsed:
    """httptools callbacks: the status line, headers, and body chunks as they are parsed."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.chunks: deque[bytes] = deque()
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        # Asked here: once the message is done the parser has reset and always says no.
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def close_delimited(self) -> bool:
        """True when the body has neither a length nor chunks: the connection's end ends it."""
        names = {name.lower() for name, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names


class _Connection:
    """One open socket to the upstream."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class _Body(httpx.AsyncByteStream):
    """The response body, read from the socket as the caller iterates; the connection goes back after."""

    def __init__(
        self,
        pool: LeanTransport,
        conn: _Connection,
        parser: httptools.HttpResponseParser,
        parsed: _Parsed,
        read_timeout: float | None,
    ) -> None:
        self.pool = pool
        self.conn: _Connection | None = conn
        self.parser = parser
        self.parsed = parsed
        self.read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parsed = self.parsed
        while True:
            while parsed.chunks:
                yield parsed.chunks.popleft()
            if parsed.complete or self.conn is None:
                break
            if not await _feed(self.conn, self.parser, self.read_timeout):
                if not parsed.close_delimited():
                    raise httpx.RemoteProtocolError("upstream closed the connection mid-body")
                parsed.complete = True  # the end of the stream is the end of the body
        await self.aclose()

    async def aclose(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        parsed = self.parsed
        reusable = parsed.complete and parsed.keep_alive and not parsed.close_delimited()
        self.pool._release(conn if reusable else None)


async def _feed(conn: _Connection, parser: httptools.HttpResponseParser, seconds: float | None) -> bool:
    """Read once from the socket into the parser; False at end of stream."""
    try:
        async with asyncio.timeout(seconds):
            data = await conn.reader.read(READ_SIZE)
    except TimeoutError:
        raise httpx.ReadTimeout("upstream read timed out") from None
    except OSError as exc:
        raise httpx.ReadError(str(exc)) from None
    if not data:
        return False
    try:
        parser.feed_data(data)
    except httptools.HttpParserError as exc:
        raise httpx.RemoteProtocolError(f"bad response from upstream: {exc}") from None
    return True


class LeanTransport(httpx.AsyncBaseTransport):
    """Keep-alive connections to one ``http://host:port`` upstream, at most ``max_connections``."""

    def __init__(self, base_url: str, max_connections: int, idle_seconds: float = IDLE_SECONDS) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the lean transport speaks plain http to one host, not {base_url}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self.idle_seconds = idle_seconds

    def _release(self, conn: _Connection | None) -> None:
        if conn is not None and conn.usable():
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        elif conn is not None:
            conn.close()
        self._slots.release()

    async def _connect(self, seconds: float | None) -> _Connection:
        try:
            async with asyncio.timeout(seconds):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {self.host}:{self.port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from None
        return _Connection(reader, writer)

    def _reuse(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable() and time.monotonic() - conn.idle_since < self.idle_seconds:
                return conn
            conn.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a pooled connection; the body streams from the socket."""
        timeouts = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no upstream connection free in time") from None
        try:
            return await self._exchange(request, timeouts)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(self, request: httpx.Request, timeouts: dict[str, float | None]) -> httpx.Response:
        replayable = isinstance(request.stream, httpx.ByteStream)
        conn = self._reuse()
        reused = conn is not None
        while True:
            if conn is None:
                conn = await self._connect(timeouts.get("connect"))
            try:
                return await self._send(conn, request, timeouts)
            except NoResponse:
                conn.close()
                # A kept-alive connection the upstream closed meanwhile: once more on a fresh one.
                if not (reused and replayable):
                    raise
                conn, reused = None, False
            except BaseException:
                conn.close()
                raise

    async def _send(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        target = request.url.raw_path
        head = [request.method.encode(), b" ", target, b" HTTP/1.1\r\n"]
        chunked = False
        for name, value in request.headers.raw:
            head += [name, b": ", value, b"\r\n"]
            chunked = chunked or (name.lower() == b"transfer-encoding" and b"chunked" in value.lower())
        head.append(b"\r\n")
        try:
            conn.writer.write(b"".join(head))
            async for chunk in request.stream:  # type: ignore[union-attr]
                if chunked:
                    conn.writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunk else b"")
                else:
                    conn.writer.write(chunk)
                await conn.writer.drain()
            if chunked:
                conn.writer.write(b"0\r\n\r\n")
            await conn.writer.drain()
        except OSError as exc:
            raise NoResponse(f"writing to the upstream failed: {exc}") from None
        parsed = _Parsed()
        parser = parsed.parser = httptools.HttpResponseParser(parsed)
        read_timeout = timeouts.get("read")
        first = True
        while not parsed.headers_done:
            try:
                if not await _feed(conn, parser, read_timeout):
                    raise httpx.RemoteProtocolError("upstream closed the connection without a response")
            except httpx.ReadError as exc:
                raise (NoResponse(str(exc)) if first else exc) from None
            except httpx.RemoteProtocolError as exc:
                raise (NoResponse(str(exc)) if first else exc) from None
            first = False
        if request.method == "HEAD":
            parsed.complete = True  # no body follows, whatever Content-Length says
        body = _Body(self, conn, parser, parsed, read_timeout)
        return httpx.Response(
            parser.get_status_code(),
            headers=parsed.headers,
            stream=body,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Close the idle connections (connections in use close when their body is done)."""
        for conn in self._idle:
            conn.close()
        self._idle.clear()
