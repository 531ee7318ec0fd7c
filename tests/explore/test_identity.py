"""One identity per reviewer: a users file of token hashes, or a trusted proxy's header."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, WAIT_MS, explore_server

import auditkit.demo as demo
from auditkit import cli, evaluate
from auditkit.errors import ParameterError
from auditkit.explore.identity import (
    PROXY_SECRET_HEADER,
    ExplorerIdentity,
    add_reviewer,
    read_reviewers,
    remove_reviewer,
    reviewer_name,
    token_hash,
)
from auditkit.params import Params
from auditkit.review.register import Register
from auditkit.review.states import finding_keys
from auditkit.rules.pob import POB
from auditkit.vocab import EnvVar

SECRET = "proxy-secret-" + "x" * 20


def test_the_users_file_keeps_hashes_and_prints_the_token_once(tmp_path: Path, capsys):
    users = tmp_path / "users"
    assert cli.main(["explore", "--users", str(users), "--add-user", "Alice Auditor"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert len(token) >= 32 and token not in users.read_text()
    assert read_reviewers(users) == {token_hash(token): "Alice Auditor"}
    again = add_reviewer(users, "Alice Auditor")  # a new token replaces the old one
    assert read_reviewers(users) == {token_hash(again): "Alice Auditor"}
    add_reviewer(users, "bob")
    assert remove_reviewer(users, "Alice Auditor")
    assert list(read_reviewers(users).values()) == ["bob"]
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_a_malformed_users_file_is_refused_with_its_line(tmp_path: Path, capsys):
    users = tmp_path / "users"
    users.write_text("# reviewers\nsha256:abc alice\n")
    with pytest.raises(ParameterError, match=r"line 2: expected 'sha256:<64 hex digits> <name>'"):
        read_reviewers(users)
    assert cli.main(["explore", "--users", str(users), "--no-browser"]) == 2
    assert "line 2" in capsys.readouterr().err


def fake_request(remote_ip: str, **headers: str) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(remote_ip=remote_ip, headers=headers))


@pytest.mark.parametrize(
    ("remote_ip", "secret", "believed"),
    [
        ("127.0.0.2", SECRET, True),
        ("127.0.0.1", SECRET, False),  # not the proxy's address: ignored
        ("127.0.0.2", "", False),  # the proxy's address, without its secret (any local user)
        ("127.0.0.2", "wrong-" + SECRET, False),
    ],
)
def test_a_proxy_header_is_believed_only_from_the_proxy(remote_ip, secret, believed):
    identity = ExplorerIdentity(token="t" * 32, trusted_proxies=["127.0.0.2"], proxy_secret=SECRET)
    headers = {"X-Forwarded-User": "carol", PROXY_SECRET_HEADER: secret}
    user = identity.proxy_user(fake_request(remote_ip, **headers))
    assert (reviewer_name(user) == "carol") is believed
    assert believed or user is None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    work = tmp_path_factory.mktemp("explore-identity")
    demo.write(demo.generate(requests=120), work / "data")
    result = evaluate(demo.tables(requests=120), Params(as_of=demo.DEFAULT_AS_OF), POB)
    keys = finding_keys(result)
    finding = tuple(keys[keys["rule_id"] == "POB-J07"].iloc[0])
    users = work / "users"
    tokens = {name: add_reviewer(users, name) for name in ("alice", "bob")}
    options = ["--data", str(work / "data"), "--as-of", demo.DEFAULT_AS_OF.isoformat()]
    options += ["--db", str(work / "review.db"), "--users", str(users)]
    options += ["--trusted-proxy", "127.0.0.2", "--user", "service-account"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv(EnvVar.PROXY_SECRET, SECRET)
        with explore_server(work, *options) as (url, _server):
            yield url, tokens, work / "review.db", finding


def get(url: str, source: str, **headers: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=120, source_address=(source, 0)
    )
    connection.request("GET", "/", headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.slow
def test_a_proxy_header_from_an_untrusted_address_is_ignored(served):
    url, _tokens, _db, _finding = served
    proxied = {"X-Forwarded-User": "mallory", PROXY_SECRET_HEADER: SECRET}
    assert get(url, "127.0.0.1", **proxied) == 403  # not from the proxy: no way in
    assert get(url, "127.0.0.2", **{"X-Forwarded-User": "mallory"}) == 403  # no secret
    assert get(url, "127.0.0.2", **proxied) == 200


@pytest.mark.slow
@pytest.mark.browser
@NEEDS_CHROMIUM
def test_two_reviewers_record_changes_under_their_own_names(served):
    from playwright.sync_api import expect, sync_playwright

    url, tokens, db, (request_id, rule_id) = served
    base = url.split("?")[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for name, state in (("alice", "under_review"), ("bob", "confirmed")):
                context = browser.new_context(viewport={"width": 1500, "height": 1300})
                page = context.new_page()
                page.goto(f"{base}?token={tokens[name]}", timeout=WAIT_MS)
                queue = page.locator(".ak-queue-grid table").first
                expect(queue).to_be_visible(timeout=WAIT_MS * 2)  # the register is recorded
                page.locator(".lm-TabBar-tab", has_text="Findings").click()
                page.locator(".ak-rule-filter select").select_option(rule_id)
                panel = page.locator(".ak-review-findings")
                expect(panel.locator(".ak-review-header")).to_contain_text(
                    f"Reviewer: {name}", timeout=WAIT_MS
                )
                expect(panel.locator(".ak-review-finding select")).to_contain_text(
                    f"{request_id} · {rule_id}", timeout=WAIT_MS
                )
                panel.locator(".ak-review-state select").select_option(state)
                panel.locator(".ak-review-set").click()
                expect(panel.locator(".ak-review-message")).to_contain_text(
                    f"(by {name})", timeout=WAIT_MS
                )
                context.close()
        finally:
            browser.close()
    with Register.open(db) as register:
        log = register.history(request_id, rule_id)
    assert log[["to_state", "changed_by"]].values.tolist() == [
        ["under_review", "alice"],
        ["confirmed", "bob"],
    ]


def test_the_proxy_needs_its_secret(monkeypatch, capsys):
    monkeypatch.delenv(EnvVar.PROXY_SECRET, raising=False)
    assert cli.main(["explore", "--trusted-proxy", "127.0.0.1", "--no-browser"]) == 2
    assert EnvVar.PROXY_SECRET in capsys.readouterr().err
    monkeypatch.setenv(EnvVar.PROXY_SECRET, SECRET)
    assert cli.main(["explore", "--trusted-proxy", "nowhere", "--no-browser"]) == 2
    assert os.environ.get(EnvVar.PROXY_SECRET) is None  # taken out before any kernel starts
