"""How many explorer sessions run at once, and the pool of kernels started before a page asks.

Every page is served by a kernel from Voilà's pool of pre-started ("pre-heated")
kernels: when the pool is empty, one is added for the page (`Sessions.admit`),
so a kernel is only ever started in one place and counted before it starts.
The cap counts every kernel that runs, is starting, or is promised to the pool,
so twenty pages loaded at once start no more kernels than the cap allows; a
page over the cap gets 503 before any kernel starts.

A kernel handed to a page belongs to that page until the page has gone: its
websocket connected and then left (a closed or reloaded tab) for a few
seconds, or it never connected at all for `ABANDONED_SECONDS`. Only such a
kernel is shut down to make room for a new page; a page that is loading or in
use never loses its kernel. Idle kernels are also culled by jupyter_server
(`handlers.culling_argv`), and whenever a kernel ends the pool is filled
again, within the cap.

Voilà 0.5's pool (`voila_kernel_manager.py`) refills itself after handing a
kernel out, with no regard to any cap, and hands out kernels that have died;
its refill is switched off here (its own pool size is 0) and `Sessions` fills
the pool instead, through Voilà's `fill_if_needed`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

GRACE_SECONDS = 3.0  # a page's websocket gone this long: the tab was closed, not reconnecting
ABANDONED_SECONDS = 120.0  # a page whose browser never connected to its kernel in this long
REFILL_DELAY = 1.0  # seconds before a refill starts, so the page that took a kernel goes first


def over_the_cap(cap: int) -> web.HTTPError:
    return web.HTTPError(
        503,
        f"all {cap} explorer sessions are in use; close a tab of the explorer, or try again "
        "in a minute",
    )


class Sessions:
    """The kernels of one notebook's pages and pool, kept within `cap` (0: no cap)."""

    def __init__(
        self,
        manager: Any,
        cap: int,
        pool_size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.manager, self.cap, self.pool_size, self.clock = manager, cap, pool_size, clock
        self.claimed: set[asyncio.Future] = set()  # pool kernels taken by a page, still starting
        self.owners: dict[str, str] = {}  # kernel id -> who opened its page ("" for anyone)
        self.handed: dict[str, float] = {}  # kernel id -> when a page took it
        self.seen: set[str] = set()  # kernels a page has connected to
        self.left: dict[str, float] = {}  # kernel id -> when its last connection closed
        # pool task -> the kernel it is starting, known before the kernel is listed
        self.kernel_of: weakref.WeakKeyDictionary[asyncio.Future, str] = weakref.WeakKeyDictionary()
        self.stopping = False

    def pool(self) -> list[asyncio.Future]:
        """Voilà's pool of this notebook (tasks that start a kernel and run the notebook in it)."""
        return self.manager._pools.setdefault(self.manager.notebook_path, [])

    def purge(self) -> None:
        """Drop pool entries that failed or whose kernel has gone (Voilà would hand them out)."""
        purge(self.pool(), set(self.manager.list_kernel_ids()))

    def count(self) -> int:
        """Kernels running, plus those the pool or a page is starting.

        A pool task lists its kernel well before it is done (jupyter_server waits for the
        kernel to be ready, Voilà then sets up the page): in that time the task is counted
        by its kernel, not once more, or two pages at a cap of 2 would find no room.
        """
        running = set(self.manager.list_kernel_ids())
        starting = [
            task
            for task in (*self.pool(), *self.claimed)
            if not task.done() and self.kernel_of.get(task) not in running
        ]
        return len(running) + len(starting)

    def starting(self, kernel_id: str) -> None:
        """The pool task running now is about to start kernel `kernel_id`."""
        task = asyncio.current_task()
        if task is not None:
            self.kernel_of[task] = kernel_id

    def fill(self, kernels: int, delay: float) -> None:
        """Add `kernels` tasks to Voilà's pool (its `fill_if_needed`, told the size for once)."""
        if kernels <= 0 or self.stopping:
            return
        manager, pool = self.manager, self.pool()
        saved = manager.kernel_pools_config
        default = dict(saved.get("default", {}))
        manager.kernel_pools_config = {"default": {**default, "pool_size": len(pool) + kernels}}
        try:
            manager.fill_if_needed(delay=delay, notebook_name=manager.notebook_path)
        finally:
            manager.kernel_pools_config = saved

    def room(self) -> int:
        return self.cap - self.count() if self.cap else 1 << 30

    def refill(self, delay: float = REFILL_DELAY) -> None:
        """Fill the pool up to its size, within the cap."""
        self.purge()
        self.fill(min(self.pool_size - len(self.pool()), self.room()), delay)

    async def admit(self, owner: str) -> None:
        """Make sure the pool holds a kernel for the page about to be served (Voilà takes the
        first one), making room from pages that have gone; else 503. Nothing awaits between
        the last check and Voilà taking the kernel: two pages cannot take one last place."""
        deadline = self.clock() + GRACE_SECONDS + 0.5
        while True:
            self.purge()
            if self.pool():
                break
            if self.room() > 0:
                self.fill(1, 0)
                break
            victim, wait = self.gone()
            if victim is not None:
                self.manager.log.info("Shutting down kernel %s, its page has gone", victim)
                await self.manager.shutdown_kernel(victim)
                self.forget(victim)
            elif wait is not None and self.clock() + wait <= deadline:
                await asyncio.sleep(wait)
            else:
                raise over_the_cap(self.cap)
        self.claim(self.pool()[0], owner)
        # The pool loses that kernel: refill it, counting the one just taken.
        self.fill(min(self.pool_size - (len(self.pool()) - 1), self.room()), REFILL_DELAY)

    def claim(self, task: asyncio.Future, owner: str) -> None:
        self.claimed.add(task)

        def taken(done: asyncio.Future) -> None:
            self.claimed.discard(done)
            if not done.cancelled() and done.exception() is None:
                kernel_id = done.result()["kernel_id"]
                self.owners[kernel_id] = owner
                self.handed[kernel_id] = self.clock()

        if task.done():
            taken(task)
        else:
            task.add_done_callback(taken)

    def gone(self) -> tuple[str | None, float | None]:
        """A kernel whose page has gone (the one gone longest), or how long until one may be."""
        return first_gone(self, self.manager._kernel_connections, self.clock())

    def loading(self, kernel_id: str) -> bool:
        """Whether a page holds this kernel and its browser has not connected yet."""
        handed = self.handed.get(kernel_id)
        return (
            handed is not None
            and kernel_id not in self.seen
            and (self.clock() - handed < ABANDONED_SECONDS)
        )

    def owner(self, kernel_id: str) -> str | None:
        return self.owners.get(kernel_id)

    def connected(self, kernel_id: str) -> None:
        self.seen.add(kernel_id)
        self.left.pop(kernel_id, None)

    def disconnected(self, kernel_id: str) -> None:
        if not self.manager._kernel_connections.get(kernel_id, 0):
            self.left[kernel_id] = self.clock()

    def forget(self, kernel_id: str) -> None:
        for table in (self.owners, self.handed, self.left):
            table.pop(kernel_id, None)
        self.seen.discard(kernel_id)


def purge(pool: list[asyncio.Future], running: set[str]) -> None:
    for task in [t for t in pool if t.done()]:
        if task.cancelled() or task.exception() or task.result()["kernel_id"] not in running:
            pool.remove(task)


def first_gone(
    sessions: Sessions, connections: dict[str, int], now: float
) -> tuple[str | None, float | None]:
    """Among the pages' kernels with no connection: the one whose page left longest ago (its
    websocket gone GRACE_SECONDS, or never connected in ABANDONED_SECONDS), else the wait."""
    ready, waits = [], []
    for kernel_id, handed in sessions.handed.items():
        if connections.get(kernel_id, 0):
            continue
        if kernel_id in sessions.seen:
            since, after = sessions.left.get(kernel_id, now), GRACE_SECONDS
        else:
            since, after = handed, ABANDONED_SECONDS
        (ready if now - since >= after else waits).append((since + after - now, kernel_id))
    if ready:
        return min(ready)[1], None
    return None, (min(waits)[0] if waits else None)


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with `Sessions` keeping count (Voilà wraps it in its
    pre-heating manager, whose pool `Sessions` fills)."""

    max_kernels = Integer(0, config=True, help="Most kernels at once; 0 for no limit.")
    pool_kernels = Integer(1, config=True, help="Kernels kept started ahead of the pages.")

    @property
    def sessions(self) -> Sessions:
        if getattr(self, "_sessions", None) is None:
            self._sessions = Sessions(self, self.max_kernels, self.pool_kernels)
        return self._sessions

    async def start_kernel(self, **kwargs: Any) -> str:  # type: ignore[override]
        pooled = (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True"
        # A start outside the pool (Voilà's page path, which the explorer's page avoids) is
        # still never past the cap.
        if not pooled and self.max_kernels and self.sessions.count() >= self.max_kernels:
            raise over_the_cap(self.max_kernels)
        if pooled:
            # The id is chosen here, so that the pool task is known by its kernel before the
            # kernel is listed (`Sessions.count`).
            kernel_id = kwargs.pop("kernel_id", None) or self.new_kernel_id(**kwargs)
            self.sessions.starting(kernel_id)
            kwargs["kernel_id"] = kernel_id
        return await super().start_kernel(**kwargs)

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self.sessions.connected(kernel_id)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        self.sessions.disconnected(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        try:
            await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            self.sessions.forget(kernel_id)
            self.sessions.refill()

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        # A page still loading has not connected yet: its kernel is not idle but waited for.
        if not self.sessions.loading(kernel_id):
            await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
        self.sessions.stopping = True
        await super().shutdown_all(*args, **kwargs)
