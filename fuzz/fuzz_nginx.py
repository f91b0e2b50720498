"""Coverage-guided fuzzing of the nginx path with atheris (run locally, as long as you like).

    pip install atheris
    python fuzz/fuzz_nginx.py -max_total_time=600 fuzz/corpus

The property is the one tests/test_fuzz_nginx.py checks in CI: no exception
escapes, and the output is the same twice. The seed corpus is every fixture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

# the property lives with the tests; make the checkout importable when run as a script
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    # wslint imports each adapter on first use: import them here so that they are instrumented too
    import wslint.nginx.adapter  # noqa: F401
    from tests.test_fuzz_nginx import lint_text


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    first = lint_text(text)
    if first[0] not in (0, 1, 2) or lint_text(text) != first:
        raise AssertionError("non-deterministic or invalid result")


def main() -> None:
    corpus = Path(__file__).parent / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        for i, f in enumerate(sorted((Path(__file__).parents[1] / "fixtures").rglob("*.conf"))):
            (corpus / f"seed-{i}").write_bytes(f.read_bytes())
    has_corpus = any(not arg.startswith("-") for arg in sys.argv[1:])
    atheris.Setup(sys.argv + ([] if has_corpus else [str(corpus)]), one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
