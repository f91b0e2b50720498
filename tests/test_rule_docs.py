"""Rule documentation people can open: docs/rules/ is generated from the rule files and kept in sync,
`wslint explain` shows the same content, and every documentation link a format emits resolves to a file
of this repository."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from wslint import project
from wslint.config import STARTER
from wslint.docs import explain_rule, pages, rule_sections
from wslint.engine.rules import RuleSet
from wslint.formatters import FORMATTERS, FormatContext

from .test_formatters import _example

REPO = Path(__file__).resolve().parents[1]
# an address the repository could be published under, to prove the absolute links too
PUBLISHED = "https://git.example.invalid/wslint/blob/main/"


def test_pages_are_in_sync_with_the_rule_files(rules: RuleSet) -> None:
    wanted = pages(rules)
    on_disk = {f"docs/rules/{p.name}": p.read_text(encoding="utf-8") for p in (REPO / "docs" / "rules").glob("*.md")}
    stale = sorted(p for p in wanted if on_disk.get(p) != wanted[p])
    extra = sorted(set(on_disk) - set(wanted))
    assert not stale and not extra, (
        f"docs/rules/ is out of date ({stale or extra}): run `.venv/bin/python -m wslint.docs` and commit the result"
    )
    assert len(wanted) == sum(1 for r in rules if r.spec.builtin) + 1


def test_each_page_has_every_part(rules: RuleSet) -> None:
    for r in rules:
        page = pages(rules)[project.rule_doc_path(r.id)]
        assert page.splitlines()[2] == f"# {r.code} {r.id}"
        for heading in ("What it finds", "What the client sees", "Why", "Fix", "References"):
            assert f"\n## {heading}\n" in page, (r.id, heading)
        for proxy in r.spec.proxies:
            assert f"\n## Broken ({proxy})\n" in page and f"\n## Fixed ({proxy})\n" in page
            assert r.spec.examples[proxy].bad.strip().splitlines()[0] in page


def test_explain_shows_the_same_content_as_the_page(rules: RuleSet) -> None:
    for r in rules:
        text = explain_rule(r)
        page = pages(rules)[project.rule_doc_path(r.id)]
        for section in rule_sections(r.spec):
            assert f"\n{section.heading}\n" in text and f"\n## {section.heading}\n" in page
            for block in section.blocks:
                for piece in (*block.items, block.text):
                    if piece:
                        first = piece.splitlines()[0]
                        assert first.strip() in text, (r.id, section.heading)


def _links(ctx: FormatContext) -> list[str]:
    """Every documentation link or page reference the formats emit for this report."""
    found: list[str] = []
    sarif = json.loads(FORMATTERS["sarif"](ctx))["runs"][0]
    driver = sarif["tool"]["driver"]
    found += [driver[k] for k in ("informationUri",) if k in driver]
    for rule in driver["rules"]:
        found += [rule["helpUri"]] if "helpUri" in rule else []
        found += re.findall(r"docs/rules/[a-z0-9-]+\.md", rule["help"]["text"] + rule["help"]["markdown"])
    rdjson: dict[str, Any] = json.loads(FORMATTERS["rdjson"](ctx))
    found += [rdjson["source"]["url"]] if "url" in rdjson["source"] else []
    for d in rdjson["diagnostics"]:
        found += [d["code"]["url"]] if "url" in d["code"] else []
        found += [d["source"]["url"]] if "url" in d["source"] else []
    found += re.findall(r"https?://\S+|docs/rules/\S+\.md", STARTER)
    return found


def _resolves(link: str) -> bool:
    home = project.home()
    if link.startswith(("https://", "http://")):
        # the project's own address, or one of its files under it
        return home is not None and (link == home or (link.startswith(home) and (REPO / link[len(home) :]).is_file()))
    return (REPO / link).is_file()


def test_every_emitted_documentation_link_resolves(rules: RuleSet) -> None:
    ctx = _example(rules)
    links = _links(ctx)
    # each shipped rule's page is named by SARIF's help, with or without an address to link to
    assert {f"docs/rules/{r.id}.md" for r in rules} <= set(links)
    assert all(_resolves(link) for link in links), [link for link in links if not _resolves(link)]
    assert not [link for link in links if "pypi.org" in link or "#" in link]


def test_with_a_published_address_every_link_is_absolute_and_resolves(
    rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "REPOSITORY_URL", PUBLISHED)
    ctx = _example(rules)
    sarif = json.loads(FORMATTERS["sarif"](ctx))["runs"][0]["tool"]["driver"]
    assert sarif["informationUri"] == PUBLISHED
    assert [r["helpUri"] for r in sarif["rules"]] == [
        PUBLISHED + f"docs/rules/{s.id}.md" for s in sorted((r.spec for r in rules), key=lambda s: s.code)
    ]
    diagnostics = json.loads(FORMATTERS["rdjson"](ctx))["diagnostics"]
    assert [d["code"]["url"] for d in diagnostics] == [PUBLISHED + f"docs/rules/{f.rule}.md" for f in ctx.findings]
    links = _links(ctx)
    assert all(_resolves(link) for link in links), [link for link in links if not _resolves(link)]


def test_a_user_rule_gets_no_link_to_a_page_it_does_not_have(rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr(project, "REPOSITORY_URL", PUBLISHED)
    ctx = _example(rules)
    mine = tuple(dataclasses.replace(s, builtin=False) for s in ctx.rules)
    doc = json.loads(FORMATTERS["sarif"](dataclasses.replace(ctx, rules=mine)))
    assert all(
        "helpUri" not in r and "docs/rules/" not in r["help"]["text"] for r in doc["runs"][0]["tool"]["driver"]["rules"]
    )


def test_the_index_links_every_page(rules: RuleSet) -> None:
    index = (REPO / "docs" / "rules" / "README.md").read_text()
    targets = re.findall(r"\]\(([a-z0-9-]+\.md)\)", index)
    assert sorted(targets) == sorted(f"{r.id}.md" for r in rules if r.spec.builtin)
    assert all((REPO / "docs" / "rules" / t).is_file() for t in targets)


def test_license_matches_the_metadata() -> None:
    import tomllib

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) wslint developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
