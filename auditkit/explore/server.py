"""The Voilà server `auditkit explore` runs: a token, local host names, same-origin websockets.

Voilà 0.5 serves with an empty token and Host checking off (it hard-codes
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
"""

from __future__ import annotations

import hmac
import os
import tempfile
import webbrowser
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server.auth.identity import IdentityProvider
from tornado import web
from tornado.httputil import HTTPServerRequest
from traitlets import List, Unicode
from voila.app import Voila

KERNEL_PROTOCOL = "v1.kernel.websocket.jupyter.org"
LOCAL_NAMES = ("localhost",)  # loopback addresses (127.0.0.1, ::1) are always local
NO_TOKEN = "this explorer needs the token of the address `auditkit explore` printed"


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


class ExplorerVoila(Voila):
    """Voilà with auditkit's access rules (see the module docstring)."""

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
        handlers = []
        for pattern, handler, *rest in super().init_handlers():
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
