"""Rule documentation generated from the rule files: `wslint rules` and `wslint explain`."""

from __future__ import annotations

import json

from wslint.durations import format_duration
from wslint.engine.rules import Rule, RuleSet


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


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.rstrip("\n").splitlines())


def explain_rule(rule: Rule) -> str:
    s = rule.spec
    out = [
        f"{s.code} {s.id}: {s.title}",
        "",
        f"category: {s.category}    severity: {s.severity.label}    proxies: {', '.join(s.proxies)}",
        "",
        "What the client sees",
        _indent(" ".join(s.client_sees.split())),
        "",
        "Why",
        _indent(s.why),
    ]
    if s.options:
        out += ["", "Options"]
        for name, opt in s.options.items():
            default = format_duration(opt.default) if opt.type == "duration" else opt.default
            out.append(f"    {name} ({opt.type}, default {default}): {' '.join(opt.help.split())}")
    for proxy, ex in s.examples.items():
        out += ["", f"Broken ({proxy})", _indent(ex.bad), "", f"Fixed ({proxy})", _indent(ex.good)]
    out += ["", "Fix"]
    for proxy, fix in s.fix.items():
        desc = " ".join(fix.description.split())
        out.append(f"    {proxy}: {desc}" if "{" not in desc else f"    {proxy}: (computed for each finding)")
    out += ["", "References"] + [f"    {ref}" for ref in s.references]
    return "\n".join(out) + "\n"
