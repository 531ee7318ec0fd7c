"""Who uses the explorer: one token for all, a token per reviewer, or a name a proxy vouches for.

- **One token** (the default): whoever has the printed address is in; changes are
  recorded under `--user` (or the operating-system user), as before.
- **A users file** (`--users FILE`): each reviewer has a token of their own; the
  file holds one line per reviewer, `sha256:<hash of the token> <name>`, never a
  token. `auditkit explore --users FILE --add-user NAME` makes a token, stores
  its hash and prints the token once. The file is read again when it changes, so
  removing a line locks that reviewer out at once (their login cookie too).
- **A trusted proxy** (`--trusted-proxy ADDR`): an authenticating proxy in front
  (JupyterHub's configurable proxy, oauth2-proxy, nginx with `auth_request`)
  names the person in a header (`X-Forwarded-User` by default). The header is
  believed only on a request that comes from a configured address *and* carries
  the proxy's secret (`X-Auditkit-Proxy-Secret`, from $AUDITKIT_EXPLORE_PROXY_SECRET):
  the explorer listens on 127.0.0.1, where every local user's requests come from
  the same address as the proxy's.

A reviewer's name reaches the kernel of their page as the request header
`X-Auditkit-Reviewer` (set here, never taken from the browser), which Voilà
hands to the kernel with the page's request (`EnvVar.REVIEWER`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import tempfile
from pathlib import Path

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web
from traitlets import List, Unicode

from auditkit.errors import ParameterError
from auditkit.review.changes import check_name

PREFIX = "reviewer:"  # a reviewer's user name; anonymous token users are random hex
USER_HEADER = "X-Forwarded-User"
PROXY_SECRET_HEADER = "X-Auditkit-Proxy-Secret"
REVIEWER_HEADER = "X-Auditkit-Reviewer"
LINE = re.compile(r"sha256:([0-9a-f]{64}) (\S.*)")


def token_hash(token: str) -> str:
    # Tokens are 32 random bytes: a fast hash is as good as a slow one against guessing.
    return hashlib.sha256(token.encode()).hexdigest()


def read_reviewers(path: Path) -> dict[str, str]:
    """The users file: token hash -> reviewer name; a malformed line is refused, named."""
    reviewers: dict[str, str] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        found = LINE.fullmatch(line.rstrip())
        if not found:
            raise ParameterError(
                f"--users {path}, line {number}: expected 'sha256:<64 hex digits> <name>', "
                f"got {line[:40]!r}"
            )
        reviewers[found.group(1)] = check_name(found.group(2), f"--users {path}, line {number}")
    return reviewers


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:  # mkstemp: readable by us only
        stream.write("".join(f"{line}\n" for line in lines))
    os.replace(temporary, path)


def add_reviewer(path: Path, name: str) -> str:
    """Give `name` a new token (replacing any they had); the token, to hand to them once."""
    name = check_name(name, "--add-user")
    path = Path(path)
    kept = [
        line
        for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
        if not (LINE.fullmatch(line.rstrip()) and line.rstrip().split(" ", 1)[1] == name)
    ]
    token = secrets.token_urlsafe(32)
    _write_lines(path, [*kept, f"sha256:{token_hash(token)} {name}"])
    return token


def remove_reviewer(path: Path, name: str) -> bool:
    """Take `name` out of the users file; whether they were in it."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.rstrip().split(" ", 1)[-1] != name]
    _write_lines(Path(path), kept)
    return len(kept) < len(lines)


def check_proxies(addresses: list[str]) -> list[str]:
    """`--trusted-proxy` values: IP addresses or networks (e.g. 127.0.0.1, 10.0.0.0/24)."""
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ParameterError(
                f"--trusted-proxy {address!r} is not an IP address or network"
            ) from None
    return list(addresses)


def reviewer_user(name: str) -> User:
    return User(f"{PREFIX}{name}", name, name, name[:1].upper(), None, None)


def reviewer_name(user: object) -> str | None:
    """The reviewer a signed-in user is, or None for the shared token's anonymous user."""
    username = getattr(user, "username", "") or ""
    return username.removeprefix(PREFIX) if username.startswith(PREFIX) else None


class ExplorerIdentity(IdentityProvider):
    """The token (shared, or one per reviewer from the users file) or a trusted proxy's name;
    no login form."""

    users_file = Unicode("", help="the users file of reviewers' token hashes")
    trusted_proxies = List(Unicode(), help="addresses whose user header is believed")
    user_header = Unicode(USER_HEADER, help="the header a trusted proxy names the user in")
    proxy_secret = Unicode("", help="what a trusted proxy sends to show it is the proxy")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._file_state: tuple[int, int] | None = None
        self._reviewers: dict[str, str] = {}

    @property
    def login_available(self) -> bool:
        return False

    @property
    def per_reviewer(self) -> bool:
        return bool(self.users_file or self.trusted_proxies)

    def reviewers(self) -> dict[str, str]:
        """The users file as it is now (read again when it changed)."""
        stat = os.stat(self.users_file)
        if (stat.st_mtime_ns, stat.st_size) != self._file_state:
            self._reviewers = read_reviewers(Path(self.users_file))
            self._file_state = (stat.st_mtime_ns, stat.st_size)
        return self._reviewers

    def get_user(self, handler: web.RequestHandler):  # type: ignore[override]
        proxied = self.proxy_user(handler)
        return proxied if proxied is not None else super().get_user(handler)

    def proxy_user(self, handler: web.RequestHandler) -> User | None:
        name = handler.request.headers.get(self.user_header, "")
        if not (name and self.trusted_proxies and self.proxy_secret):
            return None
        address = ipaddress.ip_address(handler.request.remote_ip or "0.0.0.0")
        trusted = any(
            address in ipaddress.ip_network(a, strict=False) for a in self.trusted_proxies
        )
        given = handler.request.headers.get(PROXY_SECRET_HEADER, "").encode()
        if not (trusted and hmac.compare_digest(given, self.proxy_secret.encode())):
            return None
        try:
            return reviewer_user(check_name(name, self.user_header))
        except ParameterError:
            return None

    def get_token(self, handler: web.RequestHandler) -> str | None:
        given = super().get_token(handler)
        # A constant-time comparison: the default compares with ==.
        return self.token if given and hmac.compare_digest(given, self.token) else None

    async def get_user_token(self, handler: web.RequestHandler) -> User | None:
        if not self.users_file:
            return await super().get_user_token(handler)
        given = (super().get_token(handler) or "").encode()
        found = None
        for digest, name in self.reviewers().items():  # every entry, found or not
            if hmac.compare_digest(token_hash(given.decode()).encode(), digest.encode()):
                found = name
        return reviewer_user(found) if found else None

    def get_user_cookie(self, handler: web.RequestHandler):  # type: ignore[override]
        user = super().get_user_cookie(handler)
        name = reviewer_name(user)
        # With a users file, only reviewers still in it; the shared token plays no part.
        if self.users_file and user is not None and name not in self.reviewers().values():
            return None
        return user
