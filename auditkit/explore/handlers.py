"""The Voilà server `auditkit explore` runs: who may use it, how many sessions, exports.

Access. Voilà 0.5 serves with an empty token and Host checking off (it hard-codes
`allow_remote_access`), so any local user or a DNS-rebinding page could drive
the explorer's kernel. This subclass changes what it must and nothing else:

- every request needs the token (`?token=` once, then the login cookie it sets); a
  request without it gets 403, there is no login page to guess at;
- the Host header must name the loopback address, `localhost`, or a name given with
  `--allow-host` (jupyter_server's `check_host`, switched on);
- a kernel websocket must come from the page's own origin, token or not, and speak
  the `v1.kernel.websocket.jupyter.org` protocol. Voilà reads the binary messages of
  the legacy protocol as if they were v1 (`read_header_from_binary_message`), and a
  crafted widget message then made the server grow without bound; no Voilà release
  fixes it (0.5.13 is the latest), so legacy connections are refused.

Sessions and exports.
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

import hmac
import os
import tempfile
import webbrowser
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server.auth.identity import IdentityProvider
from jupyter_server.base.handlers import AuthenticatedFileHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPServerRequest
from traitlets import Integer, List, Unicode
from voila.app import Voila

from auditkit.explore.exports import NAME
from auditkit.vocab import EnvVar

KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
LOCAL_NAMES = ("localhost",)  # loopback addresses (127.0.0.1, ::1) are always local
NO_TOKEN = "this explorer needs the token of the address `auditkit explore` printed"
EXPORTS_PATH = "auditkit/exports/"  # relative to the server's base URL


class TokenIdentityProvider(IdentityProvider):
    """The token in the URL (or an `Authorization: token` header), then its cookie; no login form."""

    @property
    def login_available(self) -> bool:
        return False

    def get_token(self, handler: web.RequestHandler) -> str | None:
        given = super().get_token(handler)
        # A constant-time comparison: the default compares with ==.
        return self.token if given and hmac.compare_digest(given, self.token) else None


class SameOriginKernelWebsocket:
    """Mixed into the kernel channel's handler: the page's own origin and protocol v1 only."""

    request: HTTPServerRequest

    def check_origin(self, origin: str | None = None) -> bool:
        # jupyter_server lets a token-authenticated request from any Origin through; a
        # browser always sends Origin on a websocket, so a foreign one is refused here.
        headers = self.request.headers
        origin = origin or headers.get("Origin") or headers.get("Sec-Websocket-Origin")
        if origin is None:
            return True  # not a browser; the token or its cookie is still required
        return urlparse(origin.lower()).netloc == self.request.headers.get("Host", "").lower()

    async def pre_get(self) -> None:
        offered = self.request.headers.get("Sec-WebSocket-Protocol", "")
        if KERNEL_PROTOCOL not in [name.strip() for name in offered.split(",")]:
            raise web.HTTPError(400, f"only the {KERNEL_PROTOCOL} kernel protocol is served")
        await super().pre_get()  # type: ignore[misc]


def _refuse_without_token(handler: type) -> type:
    """A handler class that answers 403, not a redirect to a login page, without the token."""

    def get_login_url(self: web.RequestHandler) -> str:
        raise web.HTTPError(403, NO_TOKEN)

    return type(handler.__name__, (handler,), {"get_login_url": get_login_url})


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
    """Voilà with auditkit's access rules and exports route (see the module docstring)."""

    allowed_hosts = List(Unicode(), help="host names accepted besides localhost").tag(config=True)

    def init_settings(self) -> dict:
        self.identity_provider_class = TokenIdentityProvider
        settings = super().init_settings()
        settings.update(
            allow_remote_access=False,  # Voilà hard-codes True: turn Host checking on
            local_hostnames=[*LOCAL_NAMES, *self.allowed_hosts],
            allow_origin="",
            allow_origin_pat="",
            disable_check_xsrf=False,
        )
        return settings

    def init_handlers(self) -> list:
        """Voilà's handlers, the exports route ahead of the notebook's catch-all route, and
        every one of them behind the token."""
        routes = super().init_handlers()
        exports = os.environ.get(EnvVar.EXPORTS)
        if exports:
            Path(exports).mkdir(parents=True, exist_ok=True)
            route = url_path_join(self.server_url, EXPORTS_PATH, "(.*)")
            routes.insert(0, (route, ExportHandler, {"path": str(Path(exports).resolve())}))
        handlers = []
        for pattern, handler, *rest in routes:
            if isinstance(handler, type) and issubclass(handler, web.RequestHandler):
                if str(pattern).endswith("/channels"):  # the kernel websocket
                    handler = type(handler.__name__, (SameOriginKernelWebsocket, handler), {})
                handler = _refuse_without_token(handler)
            handlers.append((pattern, handler, *rest))
        return handlers

    def launch_browser(self) -> None:
        """Open the address with its token, through a private file (not on a command line)."""
        url = f"{self.connection_url}?token={self.token}"
        handle, page = tempfile.mkstemp(suffix=".html", prefix="auditkit-explore-")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(f'<meta http-equiv="refresh" content="0;url={url}">')
        webbrowser.open(Path(page).as_uri(), new=2)
