"""The entryPoint and middleware request checks tests/test_traefik_unmodelled.py relies on, on the real traefik:
sanitizePath (on by default) decides which router a path with dot segments or repeated slashes reaches;
encodedCharacters answers 400 to a refused encoded character (an entryPoint refuses only the characters it
sets to false, the middleware every one it does not allow); headers.allowedHosts compares the Host header as
sent, port included. Each request is linted too: wslint names the router traefik used, and a handshake
traefik refuses this way is one wslint calls uncertain, never upgraded for sure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.traefik_live import backends, run_static, ws_handshake
from tests.test_traefik_unmodelled import DYNAMIC
from wslint.core import LintOptions, Report, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules
from wslint.model import EndpointResult

pytestmark = pytest.mark.realproxy

RULES = load_rules()
HOST = "app.example.test"

STATIC = """\
entryPoints:
  web:
    address: "{{ep:web}}"
{entry_point}providers:
  file:
    directory: "{{dynamic}}"
"""

ALLOWED_HOSTS = f"""\
    hosts:
      headers:
        allowedHosts: ["{HOST}"]
"""


def _dynamic(middlewares: str) -> str:
    text = DYNAMIC.format(service="socket", middlewares=middlewares)
    return text.replace("  middlewares:\n", "  middlewares:\n" + ALLOWED_HOSTS, 1)


def _lint(tmp_path: Path, entry_point: str, dynamic: str, urls: list[str], address: str = ":8080") -> Report:
    tmp_path.mkdir(parents=True)
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "traefik.yml").write_text(
        STATIC.format(entry_point=entry_point).replace("{ep:web}", address).replace("{dynamic}", "dynamic")
    )
    (tmp_path / "dynamic" / "d.yml").write_text(dynamic)
    options = LintOptions(paths=(str(tmp_path / "traefik.yml"),), endpoints=tuple(parse_endpoint(u) for u in urls))
    return run(options, RULES)


def _chrome(report: Report) -> list[EndpointResult]:
    return [r for cfg in report.configs for r in cfg.endpoint_results if r.client == "chrome"]


def _answers(
    traefik_bin: str, workdir: Path, entry_point: str, dynamic: str, requests: list[tuple[str, str]]
) -> list[tuple[int | None, bool, bool]]:
    """Per (target, Host): the status, whether the socket echoed, and whether the web service answered."""
    out = []
    with (
        backends() as b,
        run_static(
            traefik_bin, workdir, STATIC.format(entry_point=entry_point), {"d.yml": dynamic}, ("web",), b
        ) as live,
    ):
        for target, host in requests:
            before = b.web.requests
            a = ws_handshake(live.ports["web"], target, host)
            out.append((a.status, a.upgraded, b.web.requests > before))
    return out


SANITIZE_PATHS = ["/x/../ws", "//ws", "/./ws"]


@pytest.mark.parametrize("sanitize", [None, False])
def test_sanitize_path(sanitize: bool | None, traefik_bin: str, tmp_path: Path) -> None:
    entry_point = "" if sanitize is None else "    http:\n      sanitizePath: false\n"
    dynamic = _dynamic("")
    answers = _answers(traefik_bin, tmp_path / "run", entry_point, dynamic, [(p, HOST) for p in SANITIZE_PATHS])
    urls = [f"ws://{HOST}:8080{p}" for p in SANITIZE_PATHS]
    report = _lint(tmp_path / "lint", entry_point, dynamic, urls)
    routes = [r.route.match.pattern if r.route else None for r in _chrome(report)]
    if sanitize is None:
        assert all(upgraded for _, upgraded, _ in answers), answers
        assert routes == ["app-ws@file"] * len(urls)
    else:
        assert all(status == 404 and web for status, _, web in answers), answers
        assert routes == ["app@file"] * len(urls)


# (middlewares, entryPoint settings, path, refused with 400)
ENCODED = [
    ("", "    http:\n      encodedCharacters:\n        allowEncodedSlash: false\n", "/ws/a%2Fb", True),
    ("", "    http:\n      encodedCharacters:\n        allowEncodedSlash: false\n", "/ws/a%3Bb", False),
    ("", "", "/ws/a%2Fb", False),
    ("enc", "", "/ws/a%2Fb", True),
    ("enc", "", "/ws/a%5Cb", True),
    ("enc", "", "/ws/a%3Bb", True),
    ("enc", "", "/ws/a%25b", True),
    ("enc", "", "/ws/a%3Fb", True),
    ("enc", "", "/ws/a%00b", True),
    ("enc", "", "/ws/a%23b", False),
    ("slashes", "", "/ws/a%2Fb", False),
    ("slashes", "", "/ws/a%3Bb", True),
    ("slashes", "", "/ws/a%23b", True),
]


@pytest.mark.parametrize("entry_point", sorted({e for _, e, _, _ in ENCODED}))
def test_encoded_characters(entry_point: str, traefik_bin: str, tmp_path: Path) -> None:
    cases = [(m, p, refused) for m, e, p, refused in ENCODED if e == entry_point]
    wrong = []
    for i, middleware in enumerate(sorted({m for m, _, _ in cases})):
        mine = [(p, refused) for m, p, refused in cases if m == middleware]
        dynamic = _dynamic(middleware)
        answers = _answers(traefik_bin, tmp_path / f"run{i}", entry_point, dynamic, [(p, HOST) for p, _ in mine])
        report = _lint(tmp_path / f"lint{i}", entry_point, dynamic, [f"ws://{HOST}:8080{p}" for p, _ in mine])
        certain = [r.certain for r in _chrome(report)]
        for (path, refused), (status, upgraded, _), sure in zip(mine, answers, certain, strict=True):
            if (status == 400 and not upgraded) is not refused or sure is refused:
                wrong.append(f"{middleware or 'no middleware'} {path}: traefik {status}, wslint certain={sure}")
    assert not wrong, wrong


def test_allowed_hosts_compares_the_host_header_with_its_port(traefik_bin: str, tmp_path: Path) -> None:
    dynamic = _dynamic("hosts")
    answers = _answers(traefik_bin, tmp_path / "run", "", dynamic, [("/ws", HOST), ("/ws", f"{HOST}:8080")])
    assert answers[0][1], answers
    assert answers[1][0] == 500, answers
    # a browser sends the port in Host only when it is not the scheme's default
    for address, url, sure in ((":80", f"ws://{HOST}/ws", True), (":8080", f"ws://{HOST}:8080/ws", False)):
        report = _lint(tmp_path / f"lint{address[1:]}", "", dynamic, [url], address)
        assert [r.certain for r in _chrome(report)] == [sure], url
