"""`auditkit explore` as a real server: who gets in and who does not.

One server runs on the demo data with `--allow-host audit.example.com`; each test
speaks raw HTTP to it, so the Host, Origin, Cookie and websocket headers are exactly
what a hostile page or another local user could send.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from serving import explore_server, kernel_ids, wait_for

from auditkit.explore.handlers import KERNEL_PROTOCOL, without_token
from auditkit.explore.page import KERNEL_SECRET_HEADER

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.port = parsed.port
        self.token = parsed.query.removeprefix("token=")
        self.local = f"127.0.0.1:{self.port}"

    def get(self, path: str, host: str | None = None, **headers: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", path, headers={"Host": host or self.local, **headers})
        response = connection.getresponse()
        response.body = response.read() if response.status != 101 else b""
        connection.close()
        return response

    def page(self) -> tuple[str, str]:
        """(kernel id, login cookie) of the explorer page opened with the token."""
        kernel, cookie, _response = self.signed_in()
        return kernel, cookie

    def signed_in(self) -> tuple[str, str, http.client.HTTPResponse]:
        """`page`, and the response it came in."""
        response = self.get(f"/?token={self.token}")
        assert response.status == 200
        kernel = re.search(rb'"kernelId": ?"([0-9a-f-]{36})"', response.body)
        assert kernel, "no kernel id in the page"
        cookie = response.getheader("Set-Cookie").split(";")[0]
        return kernel.group(1).decode(), cookie, response

    def websocket(
        self, kernel: str, protocol: str | None = KERNEL_PROTOCOL, query: str = "", **headers: str
    ):
        upgrade = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        }
        if protocol:
            upgrade["Sec-WebSocket-Protocol"] = protocol
        return self.get(f"/api/kernels/{kernel}/channels{query}", **upgrade, **headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work: Path = tmp_path_factory.mktemp("explore-security")
    argv = ["--demo-requests", "50", "--allow-host", "audit.example.com", "--preheat", "1"]
    argv += ["--max-sessions", "0"]  # many pages, never connected: no cap to wait for here
    with explore_server(work, *argv) as (url, process):
        server = Server(url)
        server.process = process
        yield server


@pytest.fixture(scope="module")
def page(server: Server) -> tuple[str, str, http.client.HTTPResponse]:
    """One page opened with the printed address: (kernel id, login cookie, response). Each page
    starts a kernel (2-4 s); the tests that only need one signed-in page share this one."""
    return server.signed_in()


def test_the_printed_address_carries_a_random_token(server: Server):
    assert len(server.token) >= 32


STATIC = [
    "/voila/static/voila.js",
    "/voila/templates/lab/static/index.css",
    "/voila/labextensions/@jupyter-widgets/jupyterlab-manager/package.json",
    "/voila/api/themes/@jupyterlab/theme-light-extension/index.css",
    "/voila/files/explorer.ipynb",
]


def test_without_the_token_every_page_is_refused(server: Server):
    for path in ("/", "/?token=wrong", "/api/kernels", "/voila/api/shutdown/x", *STATIC):
        response = server.get(path)
        assert response.status == 403, path


def test_static_files_are_served_to_a_signed_in_page_only(server: Server, page):
    _kernel, cookie, _response = page
    assert server.get("/voila/static/voila.js", Cookie=cookie).status == 200
    assert server.get("/voila/static/voila.js").status == 403
    assert server.get(f"/voila/static/voila.js?token={server.token}").status == 200
    # No login form to guess at, and no redirect to one.
    assert server.get("/login").status in (403, 404)


def test_the_printed_address_works(server: Server, page):
    _kernel, _cookie, response = page  # the page opened with the printed address
    assert response.status == 200
    assert b"voila" in response.body.lower()
    # The token may also come in a header, as scripts send it.
    assert server.get("/", Authorization=f"token {server.token}").status == 200


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:80", "10.1.2.3"])
def test_a_foreign_host_header_is_refused_even_with_the_token(server: Server, host: str):
    # A DNS-rebinding page reaches 127.0.0.1 under its own name.
    assert server.get(f"/?token={server.token}", host=host).status == 403


def test_local_names_and_allowed_hosts_are_served(server: Server):
    for host in (f"localhost:{server.port}", "audit.example.com", f"[::1]:{server.port}"):
        assert server.get(f"/?token={server.token}", host=host).status == 200, host


def test_a_kernel_websocket_needs_the_cookie_the_same_origin_and_protocol_v1(server: Server, page):
    kernel, cookie, _response = page
    origin = f"http://{server.local}"
    assert server.websocket(kernel, Origin=origin).status == 403  # no cookie, no token
    refused = server.websocket(kernel, Origin="http://evil.example.com", Cookie=cookie)
    assert refused.status == 403  # a foreign page riding on the cookie
    # Even a script holding the token may not open it from a foreign origin.
    token = f"?token={server.token}"
    assert server.websocket(kernel, query=token, Origin="http://evil.example.com").status == 403
    assert server.websocket(kernel, query=token, Origin=origin).status == 101
    # The legacy protocol, whose binary messages Voilà misreads, is not served at all.
    assert server.websocket(kernel, protocol=None, Origin=origin, Cookie=cookie).status == 400
    assert server.websocket(kernel, Origin=origin, Cookie=cookie).status == 101


def test_the_token_is_taken_out_of_the_request_the_kernel_sees():
    assert without_token("token=abc&request=REQ-1") == "request=REQ-1"
    assert without_token("request=a%3Db&token=x&token=y&member=1") == "request=a%3Db&member=1"
    assert without_token("tokens=1") == "tokens=1"


def test_a_local_listener_on_voila_query_gets_nothing(server: Server):
    """Another local user reads a pre-started kernel's id from `ps`, listens on
    /voila/query/<id> before the next page load, and must get neither the page's request
    (which held the token) nor the kernel's place (the page would hang)."""
    import threading

    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    kernels = wait_for(lambda: kernel_ids(server.process), 120)
    received: list[str] = []
    refused: list[int] = []
    opened = threading.Event()

    def listen(kernel: str, headers: dict[str, str]) -> None:
        url = f"ws://{server.local}/voila/query/{kernel}"
        try:
            with connect(url, additional_headers=headers, open_timeout=10) as socket:
                opened.set()
                received.append(socket.recv(timeout=30))
        except InvalidStatus as error:
            refused.append(error.response.status_code)
        except TimeoutError:
            pass
        opened.set()

    credentials = [{}, {"Authorization": f"token {server.token}"}, {KERNEL_SECRET_HEADER: "guess"}]
    listeners = [
        threading.Thread(target=listen, args=(kernel, headers))
        for kernel in kernels
        for headers in credentials
    ]
    for listener in listeners:
        listener.start()
    assert opened.wait(15)
    kernel, _cookie = server.page()  # the next page load takes a pre-started kernel
    for listener in listeners:
        listener.join(timeout=60)
    assert kernel in kernels
    assert refused == [403] * len(listeners) and received == []
    # The page's own kernel got its request: its deep link is followed, so the page works.
    assert server.get(f"/api/kernels/{kernel}?token={server.token}").status == 200
