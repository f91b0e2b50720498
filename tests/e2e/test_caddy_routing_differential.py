"""wslint's Caddy routing, checked against the real caddy on generated layouts.

Hypothesis writes Caddyfiles (caddy_layouts.py) with reverse_proxy, handle,
handle_path and route blocks, named matchers on paths, regular expressions,
Connection and Upgrade headers, methods and queries, respond, redir, error,
rewrite and uri. Each backend is an echo server that answers with its name
and the request target it received. The same handshakes (three clients'
`Connection` headers, several hosts, paths and queries) go to caddy and
through wslint's simulation, and the answer must be equal: the backend and
the path and query it received, or the status Caddy answered itself. One
caddy serves 20 layouts at a time, each on a port of its own (so each is a
server of its own there); wslint reads each layout alone.

Hand-written cases pin the behaviors the rules depend on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.caddy_layouts import BACKENDS, PROBES, Answer, Probe, ask_wslint, layouts, load
from tests.e2e.caddy_proxy import Caddy, with_globals
from tests.e2e.generated import batches, draw_examples
from tests.e2e.named_backends import exchange, named_backends, upgrade_request
from tests.e2e.proxies import ConfigRefused, free_port, free_ports
from wslint.caddy.build import CaddyModel
from wslint.clients import CLIENTS

pytestmark = pytest.mark.realproxy


def ask_caddy(port: int, probe: Probe) -> Answer:
    client = next(c for c in CLIENTS if c.name == probe.client)
    request = upgrade_request(f"{probe.path}{probe.query}", f"{probe.host}:{port}", client.connection)
    status, fields = exchange(port, request)
    if fields is not None:
        return fields["backend"], fields["target"], fields["conn"].replace("_", " "), fields["up"]
    return status, None, "", ""


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, int]]:
    with named_backends(BACKENDS) as ports:
        yield ports


@dataclass
class Served:
    """One layout as caddy serves it next to others: its own port, and wslint's model of it alone."""

    layout: str
    port: int
    text: str
    model: CaddyModel


def serve(layouts: list[str], ports: dict[str, int], tmp: Path) -> list[Served]:
    served = []
    for i, (layout, port) in enumerate(zip(layouts, free_ports(len(layouts)), strict=True)):
        text = layout.replace("__PORT__", str(port))
        for name, p in ports.items():
            text = text.replace(f"__{name}__", str(p))
        model = load(with_globals(text, port), tmp / f"Caddyfile{i}")
        assert model is not None, text
        served.append(Served(layout, port, text, model))
    return served


def compare(
    binary: str, layouts: list[str], tmp: Path, ports: dict[str, int], retry: bool = True
) -> tuple[int, list[str]]:
    """Every probe of every layout through one caddy (each layout on its own port: each is its own
    server there) and through wslint's model of that layout alone: (probes compared, disagreements)."""
    served = serve(layouts, ports, tmp)
    names = {f"127.0.0.1:{p}": name for name, p in ports.items()}
    proxy = Caddy(binary, tmp / "run", with_globals("".join(s.text for s in served), served[0].port))
    try:
        proxy.start(*(s.port for s in served))
    except RuntimeError:
        proxy.stop()
        # a free port can be taken by another test process between choosing it and caddy binding it
        if retry and "address already in use" in proxy.output():
            return compare(binary, layouts, tmp / "again", ports, retry=False)
        raise
    except ConfigRefused:
        if len(layouts) == 1:
            raise
        # say which layout caddy refuses
        for i, layout in enumerate(layouts):
            compare(binary, [layout], tmp / f"alone{i}", ports)
        raise
    wrong = []
    compared = 0
    try:
        for s in served:
            mismatches = []
            for probe in PROBES:
                real = ask_caddy(s.port, probe)
                mine = ask_wslint(s.model, probe, s.port, names)
                if mine is None:
                    continue
                compared += 1
                if mine != real:
                    mismatches.append(f"{probe}: caddy {real}, wslint {mine}")
            if mismatches:
                wrong.append("\n".join([s.layout, *mismatches[:10]]))
    finally:
        proxy.stop()
    return compared, wrong


# one caddy serves this many layouts (a start costs about 25 ms, the 52 probes of a layout about as much)
BATCH = 20
LAYOUTS = 400


def test_generated_layouts_route_like_caddy(caddy_bin: str, backends: dict[str, int], tmp_path: Path) -> None:
    generated = draw_examples(layouts(), LAYOUTS, "caddy routing")
    probes = 0
    for i, batch in enumerate(batches(generated, BATCH)):
        compared, wrong = compare(caddy_bin, batch, tmp_path / f"batch{i}", backends)
        probes += compared
        assert not wrong, "\n\n".join(wrong)
    # it really compared layouts and probes
    assert len(generated) >= 300
    assert probes >= len(generated) * len(PROBES) * 0.8


HAND_WRITTEN = {
    "sibling handle blocks: the longer path first": (
        """
        handle /api/* {
            reverse_proxy 127.0.0.1:__b1__
        }
        handle /api/websocket {
            reverse_proxy 127.0.0.1:__b2__
        }
        """,
        Probe("/api/websocket", "", "app.example.test", "chrome"),
        ("b2", "/api/websocket", "Upgrade", "websocket"),
    ),
    "route keeps the written order": (
        """
        route {
            reverse_proxy /api/* 127.0.0.1:__b1__
            reverse_proxy /api/v1/streaming* 127.0.0.1:__b2__
        }
        """,
        Probe("/api/v1/streaming", "", "app.example.test", "chrome"),
        ("b1", "/api/v1/streaming", "Upgrade", "websocket"),
    ),
    "handle runs before a bare reverse_proxy": (
        """
        reverse_proxy /cable 127.0.0.1:__b2__
        handle {
            reverse_proxy 127.0.0.1:__b1__
        }
        """,
        Probe("/cable", "", "app.example.test", "chrome"),
        ("b1", "/cable", "Upgrade", "websocket"),
    ),
    "path matchers are exact unless they end in *": (
        """
        reverse_proxy /socket.io 127.0.0.1:__b2__
        reverse_proxy 127.0.0.1:__b1__
        """,
        Probe("/socket.io/", "?EIO=4&transport=websocket", "app.example.test", "chrome"),
        ("b1", "/socket.io/?EIO=4&transport=websocket", "Upgrade", "websocket"),
    ),
    "handle_path strips the prefix": (
        """
        handle_path /z2m/* {
            reverse_proxy 127.0.0.1:__b2__
        }
        """,
        Probe("/z2m/api", "?token=x", "app.example.test", "chrome"),
        ("b2", "/api?token=x", "Upgrade", "websocket"),
    ),
    "header matchers compare case and whole values": (
        """
        @ws {
            header Connection Upgrade
        }
        reverse_proxy @ws 127.0.0.1:__b2__
        reverse_proxy 127.0.0.1:__b1__
        """,
        Probe("/ws", "", "app.example.test", "firefox"),
        ("b1", "/ws", "Upgrade", "websocket"),
    ),
    "merged routes run a strip and the proxy together": (
        """
        uri /api/* strip_prefix /api
        reverse_proxy /api/* 127.0.0.1:__b2__
        reverse_proxy 127.0.0.1:__b1__
        """,
        Probe("/api/ws", "", "app.example.test", "chrome"),
        ("b2", "/ws", "Upgrade", "websocket"),
    ),
    "no site for the host: an empty 200": (
        """
        reverse_proxy 127.0.0.1:__b1__
        """,
        Probe("/ws", "", "other.example.test", "chrome"),
        ("200", None, "", ""),
    ),
}


@pytest.mark.parametrize("name", list(HAND_WRITTEN))
def test_hand_written_cases(name: str, caddy_bin: str, backends: dict[str, int], tmp_path: Path) -> None:
    body, probe, expected = HAND_WRITTEN[name]
    lines = [ln[8:] if ln.startswith("        ") else ln for ln in body.strip("\n").split("\n")]
    layout = "http://app.example.test:__PORT__ {\n" + "\n".join("    " + ln for ln in lines) + "\n}\n"
    port = free_port()
    text = layout.replace("__PORT__", str(port))
    for b, p in backends.items():
        text = text.replace(f"__{b}__", str(p))
    full = with_globals(text, port)
    model = load(full, tmp_path / "Caddyfile")
    assert model is not None
    names = {f"127.0.0.1:{p}": b for b, p in backends.items()}
    assert ask_wslint(model, probe, port, names) == expected
    proxy = Caddy(caddy_bin, tmp_path / "run", full)
    proxy.start(port)
    try:
        assert ask_caddy(port, probe) == expected
    finally:
        proxy.stop()
