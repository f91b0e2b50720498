"""The coverage audit tables (docs/coverage/<proxy>.md): every proxy has one, and their evidence exists.

A row that says an entry is modelled (or partly) must name the fixture, rule or test that proves it,
and a named path that does not resolve would make the table claim what nothing shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COVERAGE = ROOT / "docs" / "coverage"
PROXIES = ("nginx", "haproxy", "traefik", "apache", "caddy")
STATUSES = frozenset({"modelled", "partial", "not modelled", "no effect"})
EVIDENCE = re.compile(r"`((?:fixtures|rules|tests)/[^`\s]+)`")


def rows(proxy: str) -> list[list[str]]:
    """The table's data rows, as cells (the header and its separator left out)."""
    lines = [line for line in (COVERAGE / f"{proxy}.md").read_text().splitlines() if line.startswith("|")]
    assert len(lines) > 2, f"{proxy}.md has no table"
    assert [c.strip() for c in lines[0].strip("|").split("|")] == ["entry", "affects", "status", "evidence", "notes"]
    return [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]


def resolves(ref: str) -> bool:
    path, _, test = ref.partition("::")
    target = ROOT / path
    if not target.exists():
        return False
    return not test or re.search(rf"^def {re.escape(test)}\b", target.read_text(), re.MULTILINE) is not None


@pytest.mark.parametrize("proxy", PROXIES)
def test_every_row_has_a_known_status_and_evidence_that_resolves(proxy: str) -> None:
    table = rows(proxy)
    for cells in table:
        assert len(cells) == 5, f"{proxy}.md: row {cells[0]!r} has {len(cells)} cells"
        entry, _, status, evidence, _ = cells
        assert status in STATUSES, f"{proxy}.md: {entry}: status {status!r}"
        named = EVIDENCE.findall(evidence)
        if status in ("modelled", "partial"):
            assert named, f"{proxy}.md: {entry} is {status} but names no fixture, rule or test"
        missing = [ref for ref in named if not resolves(ref)]
        assert not missing, f"{proxy}.md: {entry} names {missing}, which do not exist"


@pytest.mark.parametrize("proxy", PROXIES)
def test_each_table_covers_every_status_it_needs(proxy: str) -> None:
    statuses = {cells[2] for cells in rows(proxy)}
    # an audit that finds nothing unmodelled was not done entry by entry
    assert {"modelled", "not modelled"} <= statuses


def test_the_readme_links_the_audit() -> None:
    assert "docs/coverage/" in (ROOT / "README.md").read_text()
