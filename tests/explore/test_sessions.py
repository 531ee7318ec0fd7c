"""The session cap and the pool, with a stand-in for Voilà's kernel manager (no kernel runs).

The stand-in behaves as Voilà's pre-heating manager does: `fill_if_needed` appends to
the pool as many tasks as its configured pool size lacks, each task "starts" a kernel
after the event loop runs, and a page takes the pool's first task.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from tornado import web

from auditkit.explore import sessions as sessions_module
from auditkit.explore.sessions import Sessions

NOTEBOOK = "explorer.ipynb"


class FakeVoilaManager:
    def __init__(self) -> None:
        self.notebook_path = NOTEBOOK
        self._pools: dict[str, list[asyncio.Future]] = {}
        self.kernel_pools_config = {"default": {"pool_size": 0}}
        self.kernels: set[str] = set()
        self._kernel_connections: dict[str, int] = {}
        self.started = 0
        self.shut: list[str] = []
        self.log = logging.getLogger("test")
        self.ids = (f"k{n}" for n in itertools.count())

    def list_kernel_ids(self) -> list[str]:
        return sorted(self.kernels)

    def fill_if_needed(self, delay: float, notebook_name: str) -> None:
        pool = self._pools.setdefault(notebook_name, [])
        for _ in range(self.kernel_pools_config["default"]["pool_size"] - len(pool)):
            pool.append(asyncio.ensure_future(self._start()))

    async def _start(self) -> dict:
        await asyncio.sleep(0)
        kernel_id = next(self.ids)
        self.kernels.add(kernel_id)
        self._kernel_connections[kernel_id] = 0
        self.started += 1
        return {"kernel_id": kernel_id}

    async def shutdown_kernel(self, kernel_id: str) -> None:
        self.kernels.discard(kernel_id)
        self.shut.append(kernel_id)

    async def take(self) -> str:
        """What Voilà's handler does with the pool once admitted: pop the first, await it."""
        task = self._pools[NOTEBOOK].pop(0)
        return (await task)["kernel_id"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def page(sessions: Sessions, manager: FakeVoilaManager, owner: str = "") -> str:
    await sessions.admit(owner)
    return await manager.take()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_pages_loaded_at_once_never_start_more_kernels_than_the_cap():
    async def run() -> tuple[list, FakeVoilaManager]:
        manager = FakeVoilaManager()
        sessions = Sessions(manager, cap=4, pool_size=1)
        sessions.refill(delay=0)
        results = await asyncio.gather(
            *(page(sessions, manager) for _ in range(20)), return_exceptions=True
        )
        await settle()
        return results, manager

    results, manager = asyncio.run(run())
    served = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, web.HTTPError)]
    assert len(served) == 4 and len(set(served)) == 4
    assert len(refused) == 16 and {r.status_code for r in refused} == {503}
    assert manager.started == 4 and manager.shut == []  # no page lost its kernel


def test_the_pool_counts_against_the_cap_and_is_refilled_within_it():
    async def run() -> None:
        manager = FakeVoilaManager()
        sessions = Sessions(manager, cap=2, pool_size=2)
        sessions.refill(delay=0)
        await settle()
        assert manager.started == 2 and sessions.count() == 2
        first = await page(sessions, manager)
        await settle()
        assert manager.started == 2  # a third kernel would pass the cap
        second = await page(sessions, manager)
        with pytest.raises(web.HTTPError) as refused:
            await sessions.admit("")
        assert refused.value.status_code == 503
        assert {first, second} == manager.kernels and manager.shut == []

    asyncio.run(run())


class ListedEarlyManager(FakeVoilaManager):
    """As the real managers do: a pool task lists its kernel (jupyter_server, as the process
    starts) and is done only later (the kernel ready, Voilà's page set up). The id is told
    to `Sessions` first, as `CappedKernelManager.start_kernel` does."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: Sessions | None = None
        self.release = asyncio.Event()

    async def _start(self) -> dict:
        await asyncio.sleep(0)
        kernel_id = next(self.ids)
        getattr(self.sessions, "starting", lambda _: None)(kernel_id)
        self.kernels.add(kernel_id)
        self._kernel_connections[kernel_id] = 0
        self.started += 1
        await self.release.wait()  # listed, not yet done
        return {"kernel_id": kernel_id}


def test_a_kernel_listed_while_its_pool_task_runs_is_counted_once():
    """The pre-started kernel is listed but its task not done when six pages arrive at once:
    with a cap of 2, two pages are served (each kernel counted once), four get 503."""

    async def run() -> tuple[list, ListedEarlyManager, int]:
        manager = ListedEarlyManager()
        sessions = Sessions(manager, cap=2, pool_size=1)
        manager.sessions = sessions
        sessions.refill(delay=0)
        await settle()
        assert manager.kernels == {"k0"} and not sessions.pool()[0].done()
        counted = sessions.count()
        pages = [asyncio.ensure_future(page(sessions, manager)) for _ in range(6)]
        await settle()
        manager.release.set()
        results = await asyncio.gather(*pages, return_exceptions=True)
        await settle()
        return results, manager, counted

    results, manager, counted = asyncio.run(run())
    assert counted == 1
    served = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, web.HTTPError)]
    assert sorted(served) == ["k0", "k1"]
    assert len(refused) == 4 and {r.status_code for r in refused} == {503}
    assert manager.started == 2


def test_room_is_made_only_from_pages_that_have_gone(monkeypatch):
    clock = Clock()

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr(sessions_module, "asyncio", type("Clocked", (), {"sleep": sleep}))

    async def run() -> None:
        manager = FakeVoilaManager()
        sessions = Sessions(manager, cap=2, pool_size=0, clock=clock)
        loading = await page(sessions, manager)  # served, its browser not connected yet
        open_tab = await page(sessions, manager)
        sessions.connected(open_tab)
        manager._kernel_connections[open_tab] = 1
        with pytest.raises(web.HTTPError):  # neither page has gone: 503, nobody shut down
            await sessions.admit("")
        assert manager.shut == []
        # The open tab is closed: after the grace period its kernel makes room.
        manager._kernel_connections[open_tab] = 0
        sessions.disconnected(open_tab)
        third = await page(sessions, manager)
        assert manager.shut == [open_tab] and third not in (loading, open_tab)
        # A page whose browser never connected is given up only after ABANDONED_SECONDS.
        clock.now += sessions_module.ABANDONED_SECONDS
        fourth = await page(sessions, manager)
        assert loading in manager.shut and fourth in manager.kernels

    asyncio.run(run())


def test_dead_kernels_are_never_handed_out_and_owners_are_recorded():
    async def run() -> None:
        manager = FakeVoilaManager()
        sessions = Sessions(manager, cap=3, pool_size=1)
        sessions.refill(delay=0)
        await settle()
        (dead,) = manager.kernels
        manager.kernels.clear()  # the kernel died; Voilà's pool still lists it
        served = await page(sessions, manager, owner="alice")
        assert served != dead
        await settle()
        assert sessions.owner(served) == "alice"

    asyncio.run(run())


@pytest.mark.slow
def test_parallel_page_loads_on_a_real_server_stay_within_the_cap(tmp_path):
    """Six pages loaded at once with `--max-sessions 2`: two are served, four get 503, at
    most two kernels ever run, and neither served page's kernel is shut down."""
    import re
    import threading
    import urllib.error
    import urllib.request

    from serving import explore_server, kernels

    with explore_server(tmp_path, "--demo-requests", "40", "--max-sessions", "2") as (url, server):
        most, done = [0], threading.Event()

        def watch() -> None:
            while not done.is_set():
                most[0] = max(most[0], len(kernels(server)))
                done.wait(0.2)

        def load(results: list) -> None:
            try:
                with urllib.request.urlopen(url, timeout=180) as response:
                    body = response.read().decode()
                    results.append(re.search(r'"kernelId": ?"([0-9a-f-]{36})"', body).group(1))
            except urllib.error.HTTPError as error:
                results.append(error.code)

        watcher = threading.Thread(target=watch)
        watcher.start()
        results: list = []
        pages = [threading.Thread(target=load, args=(results,)) for _ in range(6)]
        for thread in pages:
            thread.start()
        for thread in pages:
            thread.join(timeout=240)
        done.set()
        watcher.join()
        served = [r for r in results if isinstance(r, str)]
        assert sorted(r for r in results if isinstance(r, int)) == [503] * 4, results
        assert len(set(served)) == 2 and most[0] <= 2
        for kernel in served:  # still running: no page got a kernel that was then taken away
            status = urllib.request.urlopen(
                url.replace("/?", f"/api/kernels/{kernel}?"), timeout=30
            )
            assert status.status == 200
        assert "to make room" not in (tmp_path / "server.log").read_text()
