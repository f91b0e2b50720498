"""Rule documentation generated from the rule files: `wslint rules`, `wslint explain` and docs/rules/.

One generator, `rule_sections`, says what a rule's documentation holds (what it
finds, what the client sees, why, options, a broken and a fixed example per
proxy, the fix, references); `explain_rule` renders it for a terminal and
`rule_page` as the Markdown page checked in as docs/rules/<id>.md (SARIF's rule
help carries the same Markdown). `python -m wslint.docs` rewrites the pages;
tests/test_rule_docs.py fails when they differ from the rule files.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from wslint.categories import CATEGORIES
from wslint.durations import format_duration
from wslint.engine.rules import Rule, RuleSet
from wslint.engine.schema import RuleSpec
from wslint.project import RULE_DOCS, rule_doc_path

# the fence language of each proxy's examples (GitHub highlights these)
FENCE = {"nginx": "nginx", "haproxy": "haproxy", "apache": "apacheconf", "caddy": "caddyfile"}


def rules_table(rules: RuleSet, fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps(
                [
                    {
                        "id": r.id,
                        "code": r.code,
                        "category": r.spec.category,
                        "severity": r.spec.severity.label,
                        "proxies": list(r.spec.proxies),
                        "title": r.spec.title,
                    }
                    for r in rules
                ],
                indent=2,
            )
            + "\n"
        )
    rows = [("CODE", "RULE", "CATEGORY", "SEVERITY", "PROXIES")]
    rows += [(r.code, r.id, r.spec.category, r.spec.severity.label, ",".join(r.spec.proxies)) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Block:
    """A paragraph, a list, or a code block (`code` names its language; "" for none)."""

    text: str = ""
    items: tuple[str, ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


def _prose(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> tuple[Block, ...]:
    return tuple(Block(_prose(p)) for p in text.strip().split("\n\n") if p.strip())


def _fence(proxy: str, example: str) -> str:
    if proxy == "traefik":
        return "toml" if example.lstrip().startswith("[") else "yaml"
    return FENCE.get(proxy, "")


def _fix_text(description: str) -> str:
    desc = _prose(description)
    return desc if "{" not in desc else "computed for each finding from the configuration it fixes"


def rule_sections(spec: RuleSpec) -> tuple[Section, ...]:
    category = CATEGORIES.get(spec.category)
    finds = f"{spec.title}." + (f" Category `{spec.category}`: {category}." if category else "")
    out = [
        Section("What it finds", (Block(finds),)),
        Section("What the client sees", _paragraphs(spec.client_sees)),
        Section("Why", _paragraphs(spec.why)),
    ]
    if spec.options:
        items = []
        for name, opt in spec.options.items():
            default = format_duration(opt.default) if opt.type == "duration" else opt.default
            items.append(f"`{name}` ({opt.type}, default {default}): {_prose(opt.help)}")
        out.append(Section("Options", (Block(items=tuple(items)),)))
    for proxy, ex in spec.examples.items():
        fence = _fence(proxy, ex.bad)
        out.append(Section(f"Broken ({proxy})", (Block(ex.bad.rstrip("\n"), code=fence),)))
        out.append(Section(f"Fixed ({proxy})", (Block(ex.good.rstrip("\n"), code=fence),)))
    fixes = tuple(f"{proxy}: {_fix_text(fix.description)}" for proxy, fix in spec.fix.items())
    out.append(Section("Fix", (Block(items=fixes),)))
    out.append(Section("References", (Block(items=spec.references),)))
    return tuple(out)


def _meta(spec: RuleSpec) -> str:
    return f"category: {spec.category}    severity: {spec.severity.label}    proxies: {', '.join(spec.proxies)}"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.rstrip("\n").splitlines())


def render_text(spec: RuleSpec) -> str:
    out = [f"{spec.code} {spec.id}: {spec.title}", "", _meta(spec)]
    for section in rule_sections(spec):
        out += ["", section.heading]
        for block in section.blocks:
            if block.code is not None:
                out.append(_indent(block.text))
            elif block.items:
                out.extend(_indent(item) for item in block.items)
            else:
                out.append(_indent(block.text))
    return "\n".join(out) + "\n"


def _md_item(item: str) -> str:
    return f"- <{item}>" if item.startswith(("https://", "http://")) and " " not in item else f"- {item}"


def render_markdown(spec: RuleSpec, heading_level: int = 1) -> str:
    h = "#" * heading_level
    out = [
        f"{h} {spec.code} {spec.id}",
        "",
        f"Category: `{spec.category}` · severity: {spec.severity.label} · proxies: {', '.join(spec.proxies)}",
    ]
    for section in rule_sections(spec):
        out += ["", f"{h}# {section.heading}", ""]
        for i, block in enumerate(section.blocks):
            if i:
                out.append("")
            if block.code is not None:
                # a fence longer than any backtick run in the example
                ticks = "`" * max(
                    [3, *(len(ln.strip()) + 1 for ln in block.text.split("\n") if ln.strip().startswith("```"))]
                )
                out += [f"{ticks}{block.code}", block.text, ticks]
            elif block.items:
                out.extend(_md_item(item) for item in block.items)
            else:
                out.append(block.text)
    return "\n".join(out) + "\n"


def explain_rule(rule: Rule) -> str:
    return render_text(rule.spec)


def rule_page(spec: RuleSpec) -> str:
    """docs/rules/<id>.md for a shipped rule."""
    note = (
        f"<!-- generated from rules/{spec.id}.yaml by `python -m wslint.docs`: edit the rule file, "
        "then run it again -->"
    )
    return f"{note}\n\n{render_markdown(spec)}\n`wslint explain {spec.code}` shows this page in a terminal.\n"


def index_page(rules: RuleSet) -> str:
    lines = [
        "<!-- generated from rules/ by `python -m wslint.docs` -->",
        "",
        "# wslint rules",
        "",
        "| Code | Rule | Severity | Proxies | What it finds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rules:
        if r.spec.builtin:
            title = r.spec.title.replace("|", "\\|")
            lines.append(
                f"| {r.code} | [{r.id}]({r.id}.md) | {r.spec.severity.label} | {', '.join(r.spec.proxies)} | {title} |"
            )
    return "\n".join(lines) + "\n"


def pages(rules: RuleSet) -> dict[str, str]:
    """Every page of docs/rules/, by path relative to the repository root."""
    out = {f"{RULE_DOCS}/README.md": index_page(rules)}
    for r in rules:
        if r.spec.builtin:
            out[rule_doc_path(r.id)] = rule_page(r.spec)
    return out


def main(argv: list[str]) -> int:
    """Rewrite docs/rules/ under the repository root given (default: the working directory)."""
    from wslint.engine.rules import load_rules

    root = Path(argv[0]) if argv else Path()
    wanted = pages(load_rules())
    directory = root / RULE_DOCS
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.md"):
        if f"{RULE_DOCS}/{old.name}" not in wanted:
            old.unlink()
    for rel, text in wanted.items():
        (root / rel).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
