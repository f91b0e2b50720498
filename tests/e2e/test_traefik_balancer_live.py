"""Traefik behind a load balancer that ends TLS, on the real binary.

The client opens wss://app.example.test/ws; the balancer connects to Traefik's plain entryPoint and sends
`X-Forwarded-Proto: https` (the test sends it from 127.0.0.1, as the balancer would). A redirectScheme
middleware for pages lets the handshake through when the entryPoint trusts the balancer
(`forwardedHeaders.trustedIPs` or `insecure`) and answers 301 to the very URL the client opened when it
does not. The entryPoint's own `http.redirections` is a router with service noop@internal: what its
redirect lets through gets 418. wslint, given the endpoint with `#via=tls-balancer`, says the same.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.traefik_live import backends, run_static
from wslint.core import LintOptions, Report, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules

pytestmark = pytest.mark.realproxy

RULES = load_rules()
URL = "wss://app.example.test/ws#via=tls-balancer"

MIDDLEWARE = """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      middlewares:
        - to-https
      service: app
  middlewares:
    to-https:
      redirectScheme:
        scheme: https
        permanent: true
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""

PLAIN = MIDDLEWARE.replace("      middlewares:\n        - to-https\n", "")


def _static(trust: str, redirections: bool = False) -> str:
    text = 'entryPoints:\n  web:\n    address: "{ep:web}"\n'
    if trust:
        text += f"    forwardedHeaders:\n      {trust}\n"
    if redirections:
        text += '    http:\n      redirections:\n        entryPoint:\n          to: ":443"\n          scheme: https\n'
    return text + 'providers:\n  file:\n    directory: "{dynamic}"\n'


CASES = {
    # (static trust, entryPoint redirections, dynamic): (status on traefik, wslint's rule or None)
    "untrusted, redirectScheme": (("", False, MIDDLEWARE), (301, "endpoint-redirected")),
    "trustedIPs, redirectScheme": (("trustedIPs: [127.0.0.1/32]", False, MIDDLEWARE), (101, None)),
    "insecure, redirectScheme": (("insecure: true", False, MIDDLEWARE), (101, None)),
    "untrusted, entryPoint redirection": (("", True, PLAIN), (301, "endpoint-redirected")),
    "insecure, entryPoint redirection": (("insecure: true", True, PLAIN), (418, "ws-path-not-proxied")),
}


def _lint(repo: Path, static: str, dynamic: str) -> Report:
    (repo / "dynamic").mkdir(parents=True)
    (repo / "traefik.yml").write_text(static.replace('"{ep:web}"', '":80"').replace('"{dynamic}"', "dynamic"))
    (repo / "dynamic" / "app.yml").write_text(dynamic)
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        return run(LintOptions(paths=("traefik.yml",), proxy="traefik", endpoints=(parse_endpoint(URL),)), RULES)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", sorted(CASES))
def test_behind_a_tls_balancer(name: str, traefik_bin: str, tmp_path: Path) -> None:
    (trust, redirections, dynamic), (status, rule) = CASES[name]
    static = _static(trust, redirections)
    with backends() as b, run_static(traefik_bin, tmp_path / "run", static, {"app.yml": dynamic}, ("web",), b) as live:
        answers = live.handshake("web", "/ws", "app.example.test", headers={"X-Forwarded-Proto": "https"})
    if status == 101:
        assert all(a.upgraded for a in answers), answers
    else:
        assert {a.status for a in answers} == {status}, answers
    if status == 301:
        # the very URL the client opened: pages loop, handshakes fail
        assert {a.location for a in answers} == {"https://app.example.test/ws"}, answers
    report = _lint(tmp_path / "repo", static, dynamic)
    assert [f.rule for f in report.findings] == ([rule] if rule else []), report.findings
    results = [r for c in report.configs for r in c.endpoint_results]
    assert results and all(r.certain for r in results)
    assert {r.status if r.outcome != "proxied" else 101 for r in results} == {status}
