"""The Voilà server of `auditkit explore`: bounded sessions and downloads of exports.

- `CappedKernelManager` runs at most `max_kernels` kernels (one per open
  page). Starting one more first shuts down the longest-idle kernels nobody is
  connected to (closed tabs, reloaded pages); when every kernel is in use the
  page is refused with 503 instead of exhausting the machine. Idle kernels
  are culled by jupyter_server's own culler (`session_argv`).
- `ExportHandler` hands out the explorer's exports (`reports/exports/` by
  default) to signed-in sessions only, and only files named as the explorer
  names them; the page links to `EXPORTS_PATH<name>`.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.base.handlers import AuthenticatedFileHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Integer
from voila.app import Voila

from auditkit.explore.exports import NAME
from auditkit.vocab import EnvVar

EXPORTS_PATH = "auditkit/exports/"  # relative to the server's base URL


def culling_argv(cull_idle: int) -> list[str]:
    """jupyter_server options: kernels idle `cull_idle` seconds with no page connected are shut
    down (0: never); a page left open keeps its kernel."""
    interval = max(1, min(60, cull_idle // 2)) if cull_idle > 0 else 60
    return [
        f"--MappingKernelManager.cull_idle_timeout={max(cull_idle, 0)}",
        f"--MappingKernelManager.cull_interval={interval}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
    ]


def session_argv(cull_idle: int, max_sessions: int, preheat: int = 0) -> list[str]:
    """Voilà options: idle kernels culled (`culling_argv`), at most `max_sessions` kernels at
    once (0: no limit), and `preheat` kernels that have run the notebook before anyone asks
    (a page then opens at once; the pool refills behind it)."""
    argv = [
        f"--VoilaConfiguration.multi_kernel_manager_class={__name__}.CappedKernelManager",
        *culling_argv(cull_idle),
        f"--CappedKernelManager.max_kernels={max(max_sessions, 0)}",
    ]
    if preheat > 0:
        argv += ["--VoilaConfiguration.preheat_kernel=True", f"--pool_size={preheat}"]
    return argv


class CappedKernelManager(AsyncMappingKernelManager):
    """A kernel manager that keeps at most `max_kernels` kernels, making room from idle ones."""

    max_kernels = Integer(
        0, config=True, help="Most kernels at once; 0 for no limit. Idle closed pages go first."
    )

    async def start_kernel(self, **kwargs: object) -> str:  # type: ignore[override]
        if self.max_kernels > 0 and len(self.list_kernel_ids()) >= self.max_kernels:
            await self._make_room()
        return await super().start_kernel(**kwargs)

    async def _make_room(self) -> None:
        unused = [
            kernel_id
            for kernel_id in self.list_kernel_ids()
            if not self._kernel_connections.get(kernel_id, 0)
        ]
        unused.sort(key=lambda kernel_id: self.get_kernel(kernel_id).last_activity)
        while unused and len(self.list_kernel_ids()) >= self.max_kernels:
            kernel_id = unused.pop(0)
            self.log.info("Shutting down unused kernel %s to make room", kernel_id)
            await self.shutdown_kernel(kernel_id)
        if len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(
                503,
                f"all {self.max_kernels} explorer sessions are in use; close a tab or try again "
                "when an idle one has been shut down",
            )


class ExportHandler(AuthenticatedFileHandler):
    """An export file, for a signed-in session; any other name is not found."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not NAME.fullmatch(Path(absolute_path).name) or Path(absolute_path).parent != Path(root):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


class ExplorerVoila(Voila):
    """Voilà with the exports route ahead of the notebook's catch-all route."""

    def init_handlers(self) -> list:
        handlers = super().init_handlers()
        exports = os.environ.get(EnvVar.EXPORTS)
        if exports:
            Path(exports).mkdir(parents=True, exist_ok=True)
            route = url_path_join(self.server_url, EXPORTS_PATH, "(.*)")
            handlers.insert(0, (route, ExportHandler, {"path": str(Path(exports).resolve())}))
        return handlers
