"""Broker and database outages: a cuttable TCP proxy on a thread of its own, and the fault that cuts it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from jzkit.testing.tcpproxy import TcpProxy
from tests.faults.scenario import Fault

if TYPE_CHECKING:
    from tests.faults.flow import Flow

CALL_TIMEOUT_SECONDS = 15.0
DEFAULT_PORTS = {"amqp": 5672, "postgresql": 5432}


class ProxyThread:
    """A :class:`TcpProxy` in front of ``url``'s host, forwarding even while the test blocks (stack start)."""

    def __init__(self, url: str) -> None:
        parsed = urlsplit(url)
        port = parsed.port or DEFAULT_PORTS[parsed.scheme.split("+")[0]]
        self._proxy = TcpProxy(parsed.hostname or "127.0.0.1", port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faults-proxy", daemon=True)
        self.cuts = 0
        # Connections alive at each cut: proof the processes really were talking through the proxy.
        self.aborted: list[int] = []

    def __enter__(self) -> ProxyThread:
        self._thread.start()
        self._call(self._proxy.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._proxy.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CALL_TIMEOUT_SECONDS)
        self._loop.close()

    def via(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's (user, password, path kept)."""
        parsed = urlsplit(url)
        credentials, _, _ = parsed.netloc.rpartition("@")
        host = f"127.0.0.1:{self._proxy.port}"
        return urlunsplit(parsed._replace(netloc=f"{credentials}@{host}" if credentials else host))

    def cut(self) -> None:
        """Abort every proxied connection and refuse new ones."""
        self._call(self._cut())
        self.cuts += 1

    async def _cut(self) -> None:
        self.aborted.append(self._proxy.connections)  # read on the proxy's own loop
        await self._proxy.close()

    def restore(self) -> None:
        """Accept connections again on the same port."""
        self._call(self._proxy.reopen())

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(CALL_TIMEOUT_SECONDS)


@dataclass
class Outage(Fault):
    """``delay`` seconds into a phase, cut ``proxy`` for ``down`` seconds while the flow goes on."""

    proxy: ProxyThread | None = None
    what: str = ""
    down: float = 10.0
    delay: float = 0.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def inject(self, flow: Flow) -> None:
        """Start the outage beside the rest of the phase."""
        self._task = asyncio.create_task(self._outage())

    async def _outage(self) -> None:
        assert self.proxy is not None
        await asyncio.sleep(self.delay)
        await asyncio.to_thread(self.proxy.cut)
        cut = time.monotonic()
        self.injected.append(f"{self.proxy.aborted[-1]} {self.what} cut, refused for {self.down:.0f}s")
        await asyncio.sleep(self.down)
        await asyncio.to_thread(self.proxy.restore)
        self.recover_seconds += time.monotonic() - cut

    async def finish(self) -> None:
        """The outage is over (it is bounded by ``down``)."""
        if self._task is not None:
            await self._task
