"""Fixtures: one shared sandbox reset before each test, fresh ones when a test needs settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.server import SandboxServer
from tests.sandbox.helpers import AUTH, FAST, TEST_TEMPLATES, Receiver, client

MakeSandbox = Callable[..., SandboxServer]


def add_test_templates(control: httpx.Client) -> None:
    for template in TEST_TEMPLATES:
        response = control.post("/templates", json=template)
        assert response.status_code == 200, response.text


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """Start sandboxes with the fast settings plus ``overrides``; all stop at teardown."""
    servers: list[SandboxServer] = []

    def make(*, templates: bool = True, **overrides: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**{**FAST, **overrides}))
        server.start()
        servers.append(server)
        if templates:
            with client(server.base_url + "/_sandbox") as control:
                add_test_templates(control)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(**FAST))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_clients(shared_sandbox: SandboxServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with client(shared_sandbox.base_url + "/v23.0", headers=AUTH) as graph, \
            client(shared_sandbox.base_url + "/_sandbox") as control:
        yield graph, control


@pytest.fixture
def sandbox(shared_sandbox: SandboxServer, shared_clients: tuple[httpx.Client, httpx.Client]) -> SandboxServer:
    """The shared sandbox, fresh: reset (settings too) and given the test templates."""
    control = shared_clients[1]
    assert control.post("/reset", json={"config": True}).status_code == 200
    add_test_templates(control)
    return shared_sandbox


@pytest.fixture
def graph(sandbox: SandboxServer, shared_clients: tuple[httpx.Client, httpx.Client]) -> httpx.Client:
    """A client of the Graph paths (``/v23.0``) with the sandbox token."""
    return shared_clients[0]


@pytest.fixture
def control(sandbox: SandboxServer, shared_clients: tuple[httpx.Client, httpx.Client]) -> httpx.Client:
    """A client of ``/_sandbox``."""
    return shared_clients[1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
