"""What every proxy's fuzz tests share: one lint of a text in a fresh directory, mutations, settings.

The property is the same for every proxy: whatever the input, no exception
escapes, the exit code is 0, 1 or 2, and the output is the same twice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from wslint.core import LintOptions, run
from wslint.endpoints import Endpoint
from wslint.engine.rules import load_rules
from wslint.formatters import FORMATTERS, FormatContext

RULES = load_rules()
EXAMPLES = int(os.environ.get("WSLINT_FUZZ_EXAMPLES", "500"))
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


def check_property(name: str, text: str, proxy: str, **options: object) -> None:
    TRIED[proxy] = TRIED.get(proxy, 0) + 1
    first = lint_file(name, text, proxy, **options)  # type: ignore[arg-type]
    assert first[0] in (0, 1, 2)
    assert lint_file(name, text, proxy, **options) == first  # type: ignore[arg-type]
