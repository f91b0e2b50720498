"""What every proxy's fuzz tests share: one lint of a text in a fresh directory, mutations, settings.

The property is the same for every proxy: whatever the input, no exception
escapes, the exit code is 0, 1 or 2, the output is the same twice, one lint
stays within a time and a memory bound far above any real configuration's (a
hang or a blow-up fails, a slow machine does not), and `--fix` reaches a fixed
point: after its passes another one changes nothing, the fixed file has no
errors, and the real proxy, when it accepted the original, accepts the fixed
file too (checked for the first WSLINT_FUZZ_PROXY_CHECKS fixed inputs of each
proxy, as each check starts the proxy).

    WSLINT_FUZZ_EXAMPLES=3000 python -m pytest tests/test_fuzz_*.py tests/test_caddy_fuzz.py tests/test_haproxy_fuzz.py

runs 30,000 inputs (ten targets, two a proxy) and prints the counts per proxy.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from wslint import fixer
from wslint.core import LintOptions, Report, run
from wslint.endpoints import Endpoint
from wslint.engine.rules import load_rules
from wslint.formatters import FORMATTERS, FormatContext

RULES = load_rules()
EXAMPLES = int(os.environ.get("WSLINT_FUZZ_EXAMPLES", "250"))
PROXY_CHECKS = int(os.environ.get("WSLINT_FUZZ_PROXY_CHECKS", "5"))
# bounds for one lint of one fuzz input: real configurations of this size take milliseconds
MAX_SECONDS = 30.0
MAX_RSS_BYTES = 2 << 30
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def lint_file(
    name: str,
    text: str,
    proxy: str,
    endpoints: tuple[Endpoint, ...] = (),
    versions: Mapping[str, str | None] | None = None,
) -> tuple[int, str]:
    """(exit code class, JSON + SARIF + text output) of linting `text` saved as `name` in a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            options = LintOptions(paths=(name,), proxy=proxy, endpoints=endpoints, versions=dict(versions or {}))
            report = run(options, RULES)
        finally:
            os.chdir(cwd)
    ctx = FormatContext(tuple(report.findings), tuple(report.diagnostics), "fuzz", rules=tuple(r.spec for r in RULES))
    out = FORMATTERS["json"](ctx) + FORMATTERS["sarif"](ctx) + FORMATTERS["text"](ctx)
    code = 2 if report.has_errors else (1 if report.findings else 0)
    return code, out


def mutate(draw: st.DrawFn, text: str, alphabet: Sequence[str]) -> str:
    """One to four edits: insert a token, delete a run, duplicate, swap or re-indent a line."""
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate-line", "swap", "indent"]))
        lines = text.split("\n")
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(alphabet)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            if kind == "duplicate-line":
                lines.insert(i, lines[i])
            elif kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = "  " + lines[i] if draw(st.booleans()) else lines[i][2:]
            text = "\n".join(lines)
    return text


# inputs checked in this session, by proxy: conftest.py prints them at the end of the run
TRIED: dict[str, int] = {}
# inputs that --fix changed, and of those, the ones the real proxy checked before and after
FIXED: dict[str, int] = {}
PROXY_CHECKED: dict[str, int] = {}


def _options(
    name: str, proxy: str, endpoints: tuple[Endpoint, ...], versions: Mapping[str, str | None] | None
) -> LintOptions:
    return LintOptions(paths=(name,), proxy=proxy, endpoints=endpoints, versions=dict(versions or {}))


def _bounded_run(options: LintOptions) -> Report:
    start = time.monotonic()
    report = run(options, RULES)
    elapsed = time.monotonic() - start
    assert elapsed < MAX_SECONDS, f"one lint took {elapsed:.1f}s"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert rss < MAX_RSS_BYTES, f"the process grew to {rss >> 20} MiB"
    return report


def check_fix(
    name: str,
    text: str,
    proxy: str,
    endpoints: tuple[Endpoint, ...] = (),
    versions: Mapping[str, str | None] | None = None,
) -> None:
    """--fix, as the command runs it (fixer.PASSES passes at most), reaches a fixed point the proxy accepts."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        (work / ".git").mkdir()
        (work / name).write_bytes(text.encode("utf-8", errors="surrogatepass"))
        cwd = os.getcwd()
        os.chdir(work)
        try:
            options = _options(name, proxy, endpoints, versions)
            report = _bounded_run(options)
            if report.has_errors:
                return
            changed = False
            for _ in range(fixer.PASSES):
                planned = fixer.plan(report.findings, report.texts)
                if not planned.new_texts:
                    break
                changed = True
                for path, new in planned.new_texts.items():
                    Path(path).write_bytes(new.encode("utf-8", errors="surrogatepass"))
                report = _bounded_run(options)
                assert not report.has_errors, f"the fixed configuration has errors: {report.diagnostics}"
            again = fixer.plan(report.findings, report.texts)
            assert not again.new_texts, f"--fix is not idempotent: another pass changes {sorted(again.new_texts)}"
            fixed = (work / name).read_bytes().decode("utf-8", errors="surrogatepass")
        finally:
            os.chdir(cwd)
        if not changed:
            return
        FIXED[proxy] = FIXED.get(proxy, 0) + 1
        if PROXY_CHECKED.get(proxy, 0) >= PROXY_CHECKS:
            return
        accepts = proxy_check(proxy)
        if accepts is None:
            return
        PROXY_CHECKED[proxy] = PROXY_CHECKED.get(proxy, 0) + 1
        ok_before, _ = accepts(Path(tmp) / "before", name, text)
        if ok_before:
            ok_after, why = accepts(Path(tmp) / "after", name, fixed)
            assert ok_after, f"{proxy} accepted the input but refuses the fixed file: {why}"


Check = Callable[[Path, str, str], tuple[bool, str]]


def proxy_check(proxy: str) -> Check | None:
    """The real proxy's own check of a file (None when the binary is not installed; CI installs them all)."""
    from tests.e2e.caddy_proxy import find_caddy
    from tests.e2e.proxies import find_binary
    from tests.e2e.test_fix_fixtures import _nginx_accepts
    from tests.e2e.test_fix_fixtures_proxies import CHECKS
    from tests.e2e.traefik_proxy import find_traefik

    binary = {
        "nginx": lambda: find_binary("nginx"),
        "haproxy": lambda: find_binary("haproxy"),
        "apache": lambda: find_binary("apache2") or find_binary("httpd"),
        "caddy": find_caddy,
        "traefik": find_traefik,
    }[proxy]()
    if binary is None:
        assert not os.environ.get("CI"), f"{proxy} is not installed, but CI must check fixed files with it"
        return None
    check = _nginx_accepts if proxy == "nginx" else CHECKS[proxy]

    def accepts(work: Path, name: str, text: str) -> tuple[bool, str]:
        work.mkdir()
        (work / name).write_bytes(text.encode("utf-8", errors="surrogatepass"))
        return check(binary, work, name)

    return accepts


def check_property(name: str, text: str, proxy: str, **options: object) -> None:
    TRIED[proxy] = TRIED.get(proxy, 0) + 1
    first = lint_file(name, text, proxy, **options)  # type: ignore[arg-type]
    assert first[0] in (0, 1, 2)
    assert lint_file(name, text, proxy, **options) == first  # type: ignore[arg-type]
    check_fix(name, text, proxy, **options)  # type: ignore[arg-type]
