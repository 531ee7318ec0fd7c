"""The Voilà server `auditkit explore` runs: who may use it, how many sessions, exports.

Access. Voilà 0.5 serves with an empty token and Host checking off (it hard-codes
`allow_remote_access`), so any local user or a DNS-rebinding page could drive
the explorer's kernel. This subclass changes what it must and nothing else:

- every route needs the token (`?token=` once, then the login cookie it sets); a
  request without it gets 403, there is no login page to guess at. Voilà serves
  its static files (`/voila/static/`, `/voila/templates/`) with plain tornado
  handlers that check nothing, and jupyter_server marks `FileFindHandler.get`
  (`/voila/labextensions/`, `/voila/api/themes/`) as open to anyone; both are
  wrapped here (`TokenRequired`), whatever upstream says;
- `/voila/query/<kernel_id>` (Voilà's `RequestInfoSocketHandler`) checks nothing
  either: it hands the page's request, query string and token included, to the
  first listener that names the kernel id, and kernel ids are in every kernel's
  command line (`ps`). No Voilà release fixes it (0.5.13 is the latest). Here the
  route answers only the kernel itself, which proves it with a secret that
  `auditkit explore` puts in the kernels' environment (`KERNEL_SECRET_HEADER`),
  one listener per kernel, and the request it hands over never holds the token
  (`ExplorerPage` drops it from the request before Voilà reads it);
- the Host header must name the loopback address, `localhost`, or a name given with
  `--allow-host` (jupyter_server's `check_host`, switched on);
- a kernel websocket must come from the page's own origin, token or not, and speak
  the `v1.kernel.websocket.jupyter.org` protocol. Voilà reads the binary messages of
  the legacy protocol as if they were v1 (`read_header_from_binary_message`), and a
  crafted widget message then made the server grow without bound; no Voilà release
  fixes it, so legacy connections are refused.

Sessions and exports.
- `sessions.CappedKernelManager` runs at most `max_kernels` kernels, counted before
  one starts; a page over the cap gets 503 (see `explore.sessions`). Idle kernels
  are culled by jupyter_server's own culler (`session_argv`).
- `ExportHandler` hands out the explorer's exports (`reports/exports/` by
  default) to signed-in sessions only, and only files named as the explorer
  names them; the page links to `EXPORTS_PATH<name>`.
"""

from __future__ import annotations

import hmac
import inspect
import os
import tempfile
import webbrowser
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httputil import HTTPServerRequest
from traitlets import List, Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.handler import TornadoVoilaHandler

from auditkit.explore.exports import NAME
from auditkit.explore.identity import REVIEWER_HEADER, ExplorerIdentity, reviewer_name
from auditkit.explore.page import KERNEL_SECRET_HEADER
from auditkit.explore.sessions import CappedKernelManager

KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
LOCAL_NAMES = ("localhost",)  # loopback addresses (127.0.0.1, ::1) are always local
NO_TOKEN = "this explorer needs the token of the address `auditkit explore` printed"
EXPORTS_PATH = "auditkit/exports/"  # relative to the server's base URL


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
        owner = self.kernel_manager.sessions.owner(self.kernel_id)  # type: ignore[attr-defined]
        if owner and owner != reviewer_name(self.current_user):  # type: ignore[attr-defined]
            raise web.HTTPError(403, "this session belongs to another reviewer")
        await super().pre_get()  # type: ignore[misc]


class TokenRequired:
    """Mixed into every route: 403 without the token or its cookie, never a login page.

    jupyter_server lets `@allow_unauthenticated` methods through (its static file
    handlers) and plain tornado handlers never ask; the check here runs after
    jupyter_server's own and refuses any request it let through without a user.
    """

    current_user: object

    def get_login_url(self) -> str:
        raise web.HTTPError(403, NO_TOKEN)

    async def prepare(self) -> None:
        prepared = super().prepare()  # type: ignore[misc]
        if inspect.isawaitable(prepared):
            await prepared
        if self.current_user is None:
            raise web.HTTPError(403, NO_TOKEN)


def guarded_handler(handler: type) -> type:
    """`handler` behind the token: jupyter_server's authentication mixed in when it has none."""
    if issubclass(handler, JupyterHandler):
        return type(handler.__name__, (TokenRequired, handler), {})
    # A plain tornado handler keeps tornado's short error page (jupyter_server's needs
    # settings that Voilà does not give).
    body = {"write_error": web.RequestHandler.write_error}
    return type(handler.__name__, (TokenRequired, handler, JupyterHandler), body)


def without_token(query: str) -> str:
    """A query string with every `token` parameter taken out, the rest as given."""
    kept = [part for part in query.split("&") if part and part.split("=", 1)[0] != "token"]
    return "&".join(kept)


class ExplorerPage(TornadoVoilaHandler):
    """The explorer's page: Voilà's, with the token taken out of the request once it has been
    checked, so that neither the kernel's environment nor `/voila/query` ever carries it."""

    async def prepare(self) -> None:
        await super().prepare()
        request = self.request
        if "token" in request.query_arguments:
            request.query = without_token(request.query)
            request.uri = request.path + (f"?{request.query}" if request.query else "")
            request.query_arguments.pop("token")
            request.arguments.pop("token", None)
        # Who opened the page, for the kernel (Voilà forwards this header to it); never what
        # the browser sent.
        request.headers.pop(REVIEWER_HEADER, None)
        self.reviewer = reviewer_name(self.current_user) or ""
        if self.reviewer:
            request.headers[REVIEWER_HEADER] = self.reviewer

    async def get_generator(self, path: str | None = None):  # type: ignore[override]
        """The page, from a kernel of the pool that `Sessions.admit` makes sure holds one."""
        if not path:  # the notebook itself (a path is a file beside it: a redirect)
            await self.kernel_manager.sessions.admit(self.reviewer)
        async for html in super().get_generator(path=path):
            yield html

    def should_use_rendered_notebook(self, _data: object, pool_size: int, *_args: object) -> bool:
        # Voilà also asks for a kernel's notebook data, which only exists once one kernel has
        # started; a page taking the pool's first (still starting) kernel must wait for it.
        return pool_size > 0


class PageQuerySocket(RequestInfoSocketHandler):
    """`/voila/query/<kernel_id>` for the kernel itself: it must send the kernels' secret, one
    listener per kernel, and the page's request is handed over once, then forgotten."""

    def initialize(self, secret: str) -> None:
        self.secret = secret

    async def get(self, kernel_id: str, *args: object, **kwargs: object) -> None:
        given = self.request.headers.get(KERNEL_SECRET_HEADER, "")
        if not (self.secret and hmac.compare_digest(given.encode(), self.secret.encode())):
            raise web.HTTPError(403, "only the explorer's own kernels may ask for their page")
        if kernel_id in RequestInfoSocketHandler._waiters:
            raise web.HTTPError(409, "this kernel is already waiting for its page")
        await super().get(kernel_id, *args, **kwargs)

    def open(self, kernel_id: str) -> None:  # type: ignore[override]
        RequestInfoSocketHandler._waiters[kernel_id] = self
        payload = RequestInfoSocketHandler._cache.pop(kernel_id, None)
        if payload is not None:
            self.write_message(payload)

    def on_close(self) -> None:
        waiters = RequestInfoSocketHandler._waiters
        for kernel_id in [k for k, waiter in waiters.items() if waiter is self]:
            del waiters[kernel_id]


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
    once (0: no limit), `preheat` of them started and running the notebook before anyone
    asks. Every page takes its kernel from Voilà's pool, which `sessions.Sessions` fills (so
    Voilà's own pool size is 0)."""
    return [
        f"--VoilaConfiguration.multi_kernel_manager_class={CappedKernelManager.__module__}."
        "CappedKernelManager",
        *culling_argv(cull_idle),
        f"--CappedKernelManager.max_kernels={max(max_sessions, 0)}",
        f"--CappedKernelManager.pool_kernels={max(preheat, 0)}",
        "--VoilaConfiguration.preheat_kernel=True",
        "--pool_size=0",
    ]


class ExportHandler(AuthenticatedFileHandler):
    """An export file, for a signed-in session; any other name is not found."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not NAME.fullmatch(Path(absolute_path).name) or Path(absolute_path).parent != Path(root):
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


class ExplorerVoila(Voila):
    """Voilà with auditkit's access rules and exports route (see the module docstring)."""

    allowed_hosts = List(Unicode(), help="host names accepted besides localhost").tag(config=True)
    kernel_secret = Unicode("", help="what the kernels send to ask for their page's request")
    users_file = Unicode("", help="reviewers' token hashes (identity.ExplorerIdentity)")
    trusted_proxies = List(Unicode(), help="addresses whose user header is believed")
    user_header = Unicode("X-Forwarded-User", help="the header a trusted proxy names users in")
    proxy_secret = Unicode("", help="what a trusted proxy sends with every request")
    exports_dir = Unicode("", help="the folder the kernels export to, served at EXPORTS_PATH")

    def init_settings(self) -> dict:
        self.identity_provider_class = ExplorerIdentity
        settings = super().init_settings()
        identity = settings["identity_provider"]
        identity.users_file = self.users_file
        identity.trusted_proxies = list(self.trusted_proxies)
        identity.user_header = self.user_header
        identity.proxy_secret = self.proxy_secret
        # Voilà forwards this request header to the page's kernel: the reviewer who opened it.
        self.voila_configuration.http_header_envs = [REVIEWER_HEADER]
        settings.update(
            allow_remote_access=False,  # Voilà hard-codes True: turn Host checking on
            local_hostnames=[*LOCAL_NAMES, *self.allowed_hosts],
            allow_origin="",
            allow_origin_pat="",
            disable_check_xsrf=False,
        )
        self.kernel_manager.sessions.refill(delay=0)
        return settings

    def init_handlers(self) -> list:
        """Voilà's handlers, the exports route ahead of the notebook's catch-all route, and
        every one of them behind the token."""
        routes = super().init_handlers()
        if self.exports_dir:
            exports = Path(self.exports_dir).resolve()
            exports.mkdir(parents=True, exist_ok=True)
            route = url_path_join(self.server_url, EXPORTS_PATH, "(.*)")
            routes.insert(0, (route, ExportHandler, {"path": str(exports)}))
        handlers = []
        for pattern, handler, *rest in routes:
            if handler is RequestInfoSocketHandler:
                handlers.append((pattern, PageQuerySocket, {"secret": self.kernel_secret}))
                continue
            if handler is TornadoVoilaHandler:
                handler = ExplorerPage
            if isinstance(handler, type) and issubclass(handler, web.RequestHandler):
                if str(pattern).endswith("/channels"):  # the kernel websocket
                    handler = type(handler.__name__, (SameOriginKernelWebsocket, handler), {})
                handler = guarded_handler(handler)
            handlers.append((pattern, handler, *rest))
        return handlers

    def launch_browser(self) -> None:
        """Open the address with its token, through a private file (not on a command line)."""
        url = f"{self.connection_url}?token={self.token}"
        handle, page = tempfile.mkstemp(suffix=".html", prefix="auditkit-explore-")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(f'<meta http-equiv="refresh" content="0;url={url}">')
        webbrowser.open(Path(page).as_uri(), new=2)
