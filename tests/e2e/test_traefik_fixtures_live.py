"""Every Traefik fixture with `# live:` lines, run on the real traefik with its own static configuration.

A fixture's `# live: URL -> STATUS [at PATH] [after Ns] [idle Ns] [with NAME: VALUE]` says what traefik
answers that handshake (101: upgraded and echoed; 404, 503, 301...: that status), the path the backend
receives, how long to wait before (a health check's first round), how long the upgraded socket stays
silent before the echo, and a header the client adds. The fixture's traefik.yml is used as written, but for the entryPoints'
addresses (free ports on 127.0.0.1) and the provider directory (a copy); 127.0.0.1:9001 is a WebSocket
echo server, 9002 a web application that answers 404, 9003 a WebSocket-only server (426 to plain
requests). Compose and Kubernetes fixtures cannot run without Docker or a cluster: EQUIVALENTS holds each
one's routers written by hand for the file provider (the same rules, middlewares and services), and the
live lines run on that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.traefik_live import Backends, Live, backends, run_fixture, run_static, ws_handshake
from wslint.endpoints import parse_endpoint

pytestmark = pytest.mark.realproxy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "traefik"
LIVE = re.compile(r"#\s*live:\s*(\S+)\s*->\s*(\d{3})(.*)$", re.M)
OPTION = re.compile(r"\s+(at|after|idle)\s+(\S+)|\s+with\s+([\w-]+):\s*(.+)$")

# file-provider equivalents of compose and Kubernetes fixtures: (static with {ep:NAME} addresses, dynamic files);
# a `# NAME = :PORT` comment maps the port the fixture's URLs use to the entryPoint
_FILE = "providers:\n  file:\n    directory: {dynamic}\n"
EQUIVALENTS: dict[str, tuple[str, dict[str, str]]] = {
    "realworld-vaultwarden-compose-redirect": (
        "# http = :8080\n# https = :8443\n"
        "entryPoints:\n  http:\n    address: '{ep:http}'\n  https:\n    address: '{ep:https}'\n" + _FILE,
        {
            "vaultwarden.yml": """\
http:
  middlewares:
    redirect-https:
      redirectScheme:
        scheme: https
        permanent: true
  routers:
    vaultwarden-http:
      rule: "Host(`vault.example.test`)"
      entryPoints: [http]
      middlewares: [redirect-https]
      service: vaultwarden
    vaultwarden-https:
      rule: "Host(`vault.example.test`)"
      entryPoints: [https]
      tls: {}
      service: vaultwarden
  services:
    vaultwarden:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""
        },
    ),
    "realworld-uptime-kuma-compose-tls": (
        "# https = :8443\nentryPoints:\n  https:\n    address: '{ep:https}'\n" + _FILE,
        {
            "uptime-kuma.yml": """\
http:
  routers:
    uptime-kuma:
      rule: "Host(`uptime.example.test`)"
      entryPoints: [https]
      tls: {}
      service: uptime-kuma
  services:
    uptime-kuma:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""
        },
    ),
    "realworld-nextcloud-notify-push-labels": (
        "# https = :8443\nentryPoints:\n  https:\n    address: '{ep:https}'\n    http:\n      tls: {}\n" + _FILE,
        {
            "nextcloud.yml": """\
http:
  routers:
    nextcloud:
      rule: "Host(`cloud.example.test`)"
      entryPoints: [https]
      service: nextcloud
    nextcloud_push:
      rule: "Host(`cloud.example.test`) && PathPrefix(`/push`)"
      entryPoints: [https]
      middlewares: [nextcloud_strip_push]
      service: nextcloud_push
  middlewares:
    nextcloud_strip_push:
      stripPrefix:
        prefixes: [/push]
  services:
    nextcloud:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    nextcloud_push:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""
        },
    ),
    "realworld-immich-ingress-strip-api": (
        "# websecure = :443\nentryPoints:\n  websecure:\n    address: '{ep:websecure}'\n" + _FILE,
        {
            "immich.yml": """\
http:
  routers:
    immich-server:
      rule: "Host(`photos.example.test`) && PathPrefix(`/api`)"
      entryPoints: [websecure]
      middlewares: [immich-server-stripprefix]
      tls: {}
      service: immich-server
    immich-web:
      rule: "Host(`photos.example.test`) && PathPrefix(`/`)"
      entryPoints: [websecure]
      tls: {}
      service: immich-web
  middlewares:
    immich-server-stripprefix:
      stripPrefix:
        prefixes: [/api]
  services:
    immich-server:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
    immich-web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
"""
        },
    ),
}


@dataclass(frozen=True)
class Line:
    """One `# live:` line: the handshake's URL, the status traefik answers, and its options."""

    url: str
    status: int
    at: str | None = None
    after: float = 0.0
    idle: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


def _line(m: re.Match[str]) -> Line:
    opts: dict[str, str] = {}
    headers: list[tuple[str, str]] = []
    for o in OPTION.finditer(m.group(3)):
        if o.group(1):
            opts[o.group(1)] = o.group(2)
        else:
            headers.append((o.group(3), o.group(4).strip()))
    return Line(
        m.group(1),
        int(m.group(2)),
        opts.get("at"),
        float(opts.get("after", "0s").rstrip("s")),
        float(opts.get("idle", "0s").rstrip("s")),
        tuple(headers),
    )


def _live_lines(directory: Path) -> list[Line]:
    out: list[Line] = []
    for f in sorted(directory.rglob("*")):
        if f.is_file() and f.suffix in (".yml", ".yaml", ".toml"):
            out.extend(_line(m) for m in LIVE.finditer(f.read_text()))
    return out


def live_fixtures() -> list[Path]:
    return [d for d in sorted(FIXTURES.iterdir()) if d.is_dir() and _live_lines(d)]


def _check(live: Live, b: Backends, lines: list[Line], ports: dict[int, str]) -> list[str]:
    wrong = []
    for line in lines:
        ep = parse_endpoint(line.url)
        name = ports.get(ep.effective_port or 0)
        assert name is not None, f"{line.url}: no entryPoint of the fixture listens on port {ep.effective_port}"
        answers = [
            ws_handshake(
                live.ports[name], ep.target, ep.host_header or "", client, dict(line.headers), ep.tls, idle=line.idle
            )
            for client in ("chrome", "firefox", "lowercase")
        ]
        ok = all(a.upgraded for a in answers) if line.status == 101 else all(a.status == line.status for a in answers)
        if not ok:
            wrong.append(f"{line.url}: expected {line.status}, got {[(a.client, a.status, a.detail) for a in answers]}")
        seen = [*b.ws.seen.paths, *b.wsonly.seen.paths]
        if line.at is not None and (not seen or seen[-1] != line.at):
            wrong.append(f"{line.url}: expected the backend to receive {line.at}, it received {seen[-3:]}")
        b.ws.seen.paths.clear()
        b.wsonly.seen.paths.clear()
    return wrong


@pytest.mark.parametrize("fixture", live_fixtures(), ids=lambda p: p.name)
def test_fixture_on_traefik(fixture: Path, traefik_bin: str, tmp_path: Path) -> None:
    lines = _live_lines(fixture)
    settle = max(line.after for line in lines)
    with backends() as b:
        if (fixture / "traefik.yml").is_file():
            with run_fixture(traefik_bin, fixture, tmp_path / "run", b, settle) as live:
                wrong = _check(live, b, lines, live.by_port)
                log = live.log
        else:
            assert fixture.name in EQUIVALENTS, f"{fixture.name} has live lines but no file-provider equivalent"
            static, dynamic = EQUIVALENTS[fixture.name]
            ports = {int(p): n for n, p in re.findall(r"#\s*(\w+)\s*=\s*:(\d+)", static)}
            names = tuple(dict.fromkeys(re.findall(r"\{ep:(\w+)\}", static)))
            with run_static(traefik_bin, tmp_path / "run", static, dynamic, names, b, settle) as live:
                wrong = _check(live, b, lines, ports)
                log = live.log
    assert not wrong, "\n".join([*wrong, log])
