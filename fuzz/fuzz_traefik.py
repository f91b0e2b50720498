"""Coverage-guided fuzzing of the Traefik path with atheris (run locally, as long as you like).

    pip install atheris
    python fuzz/fuzz_traefik.py -max_total_time=600 fuzz/corpus-traefik

Each input is linted as a dynamic file (dynamic.yml) and, when it reads as TOML,
also as dynamic.toml. The property is tests/test_fuzz_traefik.py's: no
exception escapes, and the output is the same twice. The seed corpus is every
Traefik fixture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports():
    # wslint imports each adapter on first use: import them here so that they are instrumented too
    import wslint.traefik.adapter  # noqa: F401
    from tests.test_fuzz_traefik import lint_text


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    for name in ("dynamic.yml", "dynamic.toml"):
        first = lint_text(name, text)
        if first[0] not in (0, 1, 2) or lint_text(name, text) != first:
            raise AssertionError(f"non-deterministic or invalid result as {name}")


def main() -> None:
    corpus = Path(__file__).parent / "corpus-traefik"
    if not corpus.exists():
        corpus.mkdir()
        seeds = sorted(p for p in (Path(__file__).parents[1] / "fixtures" / "traefik").rglob("*") if p.is_file())
        for i, f in enumerate(seeds):
            (corpus / f"seed-{i}").write_bytes(f.read_bytes())
    has_corpus = any(not arg.startswith("-") for arg in sys.argv[1:])
    atheris.Setup(sys.argv + ([] if has_corpus else [str(corpus)]), one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
