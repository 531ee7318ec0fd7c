"""In the kernel: the request of the page this kernel serves, asked of the server that runs it.

A kernel Voilà starts ahead of time (pre-heated) runs the notebook before any
page asks for it; the page's request (its query string, and the reviewer it
was opened by) arrives later, over `/voila/query/<kernel_id>`. Voilà's own
helper (`voila.utils.get_query_string`) connects there with nothing to show
for itself, so anyone who knows the kernel id could listen in; the explorer's
server answers only a kernel that sends the secret `auditkit explore` put in
the kernels' environment (`EnvVar.KERNEL_SECRET`). The request's variables are
added to this process's environment, as Voilà's helper does.
"""

from __future__ import annotations

import json
import os
import sys

from auditkit.vocab import EnvVar

KERNEL_SECRET_HEADER = "X-Auditkit-Kernel-Secret"
QUERY_STRING = "QUERY_STRING"
CONNECT_SECONDS = 10


def query_url() -> str:
    """Where this kernel's page request is handed out (Voilà's variables, as Voilà reads them)."""
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL") or os.environ.get("VOILA_SERVER_URL", "/")
    return f"ws://127.0.0.1:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"


def page_request() -> dict[str, str]:
    """The page's request variables (also put into os.environ); {} when this kernel was started
    for its page (they are in the environment already) or outside Voilà."""
    if os.environ.get("VOILA_PREHEAT") != "True":
        return {}
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    secret = os.environ.get(EnvVar.KERNEL_SECRET, "")
    try:
        with connect(
            query_url(),
            additional_headers={KERNEL_SECRET_HEADER: secret},
            open_timeout=CONNECT_SECONDS,
        ) as socket:
            payload = json.loads(socket.recv())
    except (OSError, WebSocketException, ValueError) as error:
        # The server's log is the kernel's stderr: the page is not the place for it.
        print(f"auditkit: the page's request did not arrive: {error}", file=sys.__stderr__)
        return {}
    request = {str(key): str(value) for key, value in payload.items()}
    os.environ.update(request)
    return request


def query_string() -> str:
    """The page's query string (`request=...`, `member=...`), waiting for the page if need be."""
    page_request()
    return os.environ.get(QUERY_STRING, "")
