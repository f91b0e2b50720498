"""`wslint probe --config`: what the configuration says the live endpoint should answer, and where it disagrees.

The configuration is linted for the probed URL before any handshake is sent (a
missing or broken file stops the probe at once). Each browser's live answer is
then compared with wslint's prediction for the client that sends the same
handshake (Safari's is Chrome's). A disagreement is its own finding: the server
that answered does not run this file as wslint reads it, or a hop in front of
it (a CDN, a load balancer, another proxy) changes the request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from wslint.findings import Diagnostic, Finding, Severity
from wslint.model import EndpointResult
from wslint.probe.client import Attempt

# the simulated client whose handshake each browser sends
CLIENT_OF = {"chrome": "chrome", "safari": "chrome", "firefox": "firefox"}


class ConfigProblem(Exception):
    """The --config file cannot be used; `lines` say why, each with its file and line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class Prediction:
    results: list[EndpointResult]
    findings: list[Finding] = field(default_factory=list)

    def for_browser(self, browser: str) -> EndpointResult | None:
        client = CLIENT_OF.get(browser, "chrome")
        return next((r for r in self.results if r.client == client), None)


@dataclass(frozen=True)
class Disagreement:
    browsers: tuple[str, ...]
    live: int
    predicted: str
    message: str


def _where(d: Diagnostic) -> str:
    if d.path and d.line:
        return f"{d.path}:{d.line}: "
    return f"{d.path}: " if d.path else ""


def predict(url: str, config: str, proxy: str | None) -> Prediction:
    from wslint.core import LintOptions, UsageError, run
    from wslint.endpoints import EndpointError, parse_endpoint
    from wslint.engine.rules import load_rules

    if not os.path.exists(config):
        raise ConfigProblem([f"--config {config}: no such file or directory"])
    if os.path.isdir(config):
        raise ConfigProblem([f"--config {config}: a directory; name the configuration's main file"])
    try:
        options = LintOptions(paths=(config,), proxy=proxy, endpoints=(parse_endpoint(url),))
        lint = run(options, load_rules())
    except (UsageError, EndpointError) as exc:
        raise ConfigProblem([str(exc)]) from None
    errors = [d for d in lint.diagnostics if d.severity >= Severity.ERROR]
    if errors or not lint.configs:
        lines = [f"{_where(d)}error: {d.message}" for d in errors]
        raise ConfigProblem(lines or [f"--config {config}: wslint read no configuration from it"])
    # every client's result (a configuration lists one result per endpoint and server)
    results = list({id(r): r for cfg in lint.configs for e in cfg.endpoints for r in cfg.results_for(e)}.values())
    routes = {(r.route.listener.label, r.route.name) for r in results if r.route}
    findings = [
        f
        for f in lint.findings
        if (f.route is not None and (f.route.listener, f.route.name) in routes) or f.message.startswith(url)
    ]
    return Prediction(results, findings)


def expected_status(r: EndpointResult) -> tuple[int | None, str]:
    """The status the prediction implies (None: the backend chooses, but not 101), and how to say it."""
    if r.upgrades:
        return 101, "101 (upgraded)"
    if r.outcome == "proxied":
        return None, f"no upgrade (proxied to {r.upstream} as a plain request)"
    status = r.status or (404 if r.outcome == "no-route" else None)
    words = {"redirect": "a redirect", "local": "an answer from the proxy itself", "no-route": "no route"}
    return status, f"{status} ({words.get(r.outcome, r.outcome)})" if status else words.get(r.outcome, r.outcome)


def disagreements(attempts: list[Attempt], prediction: Prediction) -> list[Disagreement]:
    """Where a live answer contradicts what the configuration predicts (certain predictions only)."""
    found: dict[tuple[int, str], list[str]] = {}
    for a in attempts:
        r = prediction.for_browser(a.browser)
        if r is None or not r.certain or a.status is None:
            continue
        status, said = expected_status(r)
        contradicts = a.status == 101 if status is None else a.status != status
        if contradicts:
            found.setdefault((a.status, said), []).append(a.browser)
    out = []
    for (live, said), browsers in found.items():
        who = "" if len(browsers) == len(attempts) else f" to {', '.join(browsers)}"
        out.append(
            Disagreement(
                tuple(browsers),
                live,
                said,
                f"the live server answers {live}{who}; the configuration predicts {said}: the deployed "
                "configuration differs from this file, or a hop in front of it changes the request",
            )
        )
    return out
