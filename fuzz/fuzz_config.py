"""Coverage-guided fuzzing of the HAProxy, Apache httpd or Caddy path with atheris (run locally, as long as you like).

    pip install atheris
    python fuzz/fuzz_config.py haproxy -max_total_time=600
    python fuzz/fuzz_config.py apache -max_total_time=600 fuzz/corpus-apache
    python fuzz/fuzz_config.py caddy -max_total_time=600

The first argument names the proxy; the rest goes to libFuzzer. Each input is
linted as that proxy's main file with a WebSocket URL declared, so routing
and the endpoint rules run too. The property is tests/fuzzing.py's: no
exception escapes, the exit code is 0, 1 or 2, and the output is the same
twice. The seed corpus (fuzz/corpus-PROXY, made on the first run) is every
fixture of that proxy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

# the property lives with the tests; make the checkout importable when run as a script
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    # wslint imports each adapter on first use: import them here so that they are instrumented too
    import wslint.apache.adapter
    import wslint.caddy.adapter
    import wslint.haproxy.adapter  # noqa: F401
    from tests.fuzzing import lint_file
    from wslint.endpoints import parse_endpoint

MAIN_FILE = {"haproxy": "haproxy.cfg", "apache": "httpd.conf", "caddy": "Caddyfile"}
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("wss://app.example.test/socket.io/"))
PROXY = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in MAIN_FILE else ""


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    first = lint_file(MAIN_FILE[PROXY], text, PROXY, ENDPOINTS)
    if first[0] not in (0, 1, 2) or lint_file(MAIN_FILE[PROXY], text, PROXY, ENDPOINTS) != first:
        raise AssertionError(f"non-deterministic or invalid result for {PROXY}")


def main() -> None:
    if not PROXY:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(MAIN_FILE)}}} [libFuzzer options] [corpus]")
    corpus = Path(__file__).parent / f"corpus-{PROXY}"
    if not corpus.exists():
        corpus.mkdir()
        fixtures = Path(__file__).parents[1] / "fixtures" / PROXY
        seeds = sorted(p for p in fixtures.rglob("*") if p.is_file() and p.suffix != ".md")
        for i, f in enumerate(seeds):
            (corpus / f"seed-{i}").write_bytes(f.read_bytes())
    args = [sys.argv[0], *sys.argv[2:]]
    has_corpus = any(not arg.startswith("-") for arg in args[1:])
    atheris.Setup(args + ([] if has_corpus else [str(corpus)]), one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
