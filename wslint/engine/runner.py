"""Running rules over one configuration model.

The engine, not the rule, decides a finding's severity: a rule's verdict on a
route that is only *believed* to carry WebSockets (by its path) is capped at
warning, or at info for weak hints, while routes the user declared or the
configuration itself upgrades keep the rule's severity. A rule that raises is
reported as an internal diagnostic naming its file, and the others go on; a
rule a user wrote runs within a time budget per configuration (see budget).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wslint import rule_keys
from wslint.engine.budget import BudgetSpent, time_budget
from wslint.engine.fixes import FixError, SourceTexts, build_fix
from wslint.engine.rules import Rule, RuleSet
from wslint.findings import Diagnostic, Finding, RouteRef, Severity
from wslint.model import EndpointResult, MisplacedDirective, ProxyConfig, Route, Source

SCOPE_VARIABLE = {
    "route": "route",
    "variable_reference": "ref",
    "misplaced_directive": "misplaced",
    "endpoint": "result",
}

# seconds a user's rule may take over one configuration (the shipped rules are wslint's own code)
USER_RULE_BUDGET = 20.0

INTENT_CAP = {
    "declared": Severity.ERROR,
    "explicit": Severity.ERROR,
    "inherited": Severity.WARNING,
    "heuristic": Severity.WARNING,
    "possible": Severity.INFO,
}


@dataclass(frozen=True)
class RunSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # rule id or code -> severity, replacing the rule's own (the route's evidence still caps it)
    severity: Mapping[str, Severity] = field(default_factory=dict)


def matches(rule: Rule, key: str) -> bool:
    """--select/--ignore accept a rule id, a code, or a code prefix such as WS1 (any case)."""
    return rule_keys.names(key, rule.id, rule.code)


def selected(rules: RuleSet, settings: RunSettings) -> list[Rule]:
    out = []
    for rule in rules:
        if settings.select and not any(matches(rule, k) for k in settings.select):
            continue
        if any(matches(rule, k) for k in settings.ignore):
            continue
        out.append(rule)
    return out


def _subjects(config: ProxyConfig, rule: Rule, websocket_routes: list[Route]) -> Iterable[Any]:
    scope = rule.spec.scope
    if scope == "route":
        return websocket_routes if rule.spec.requires_websocket else config.routes
    if scope == "variable_reference":
        return config.variable_references
    if scope == "endpoint":
        # a result wslint could not decide is never judged
        return (r for r in config.endpoints if r.certain)
    return config.misplaced_directives


def _route_ref(route: Route) -> RouteRef:
    return RouteRef(
        listener=route.listener.label,
        match=route.match.label,
        upstream=route.upstream.url if route.upstream is not None else None,
        websocket=route.websocket.level,
        name=route.name,
    )


def _endpoint_route(subject: Any) -> RouteRef | None:
    if isinstance(subject, EndpointResult) and subject.route is not None:
        return _route_ref(subject.route)
    if isinstance(subject, EndpointResult) and subject.listener is not None:
        return RouteRef(listener=subject.listener.label, match=None, upstream=None, websocket="declared")
    return None


def _anchors(subject: Any) -> tuple[tuple[str, int], ...]:
    """Opening lines of the blocks a subject sits in (its route, then its server)."""
    sources: list[Source | None] = []
    if isinstance(subject, Route):
        sources += [subject.source, subject.listener.source]
    elif isinstance(subject, EndpointResult):
        sources += [
            subject.route.source if subject.route else None,
            subject.listener.source if subject.listener else None,
        ]
    elif isinstance(subject, MisplacedDirective) and subject.enclosing is not None:
        sources.append(subject.enclosing.opened_by)
    return tuple((s.path, s.line) for s in sources if s is not None)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _severity(rule: Rule, subject: Any, overrides: Mapping[str, Severity]) -> Severity:
    named = [level for key, level in overrides.items() if rule_keys.names_exactly(key, rule.id, rule.code)]
    severity = named[-1] if named else rule.spec.severity
    if isinstance(subject, Route):
        severity = min(severity, INTENT_CAP.get(subject.websocket.level, Severity.INFO))
    elif isinstance(subject, EndpointResult) and subject.endpoint.origin and not subject.endpoint.origin.certain:
        # an app only suggested by a path: what its endpoint shows is a hint
        severity = min(severity, Severity.INFO)
    return severity


def _context(
    rule: Rule, config: ProxyConfig, subject: Any, options: Mapping[str, Any], version: tuple[int, ...]
) -> dict[str, Any]:
    """What a rule's expressions and templates can name for one subject (`version`: the configuration's,
    as _version_tuple makes it, worked out once per rule)."""
    return {
        SCOPE_VARIABLE[rule.spec.scope]: subject,
        "config": config,
        "options": dict(options),
        "version": version,
        "proxy": config.proxy,
    }


def _one(
    rule: Rule,
    config: ProxyConfig,
    subject: Any,
    options: Mapping[str, Any],
    texts: SourceTexts,
    diagnostics: list[Diagnostic],
    overrides: Mapping[str, Severity],
    version: tuple[int, ...],
) -> Finding | None:
    context = _context(rule, config, subject, options, version)
    if not rule.when.value_in(context):
        return None
    return _finding(rule, config, subject, context, texts, diagnostics, overrides)


def _matching(rule: Rule, config: ProxyConfig, subjects: list[Any], options: Mapping[str, Any]) -> list[Any] | None:
    """The subjects whose `when` holds, in one render; None when that render fails.

    One render instead of one call per subject saves Jinja's per-call context
    set-up, most of rule evaluation on large configurations. A failure sends
    the caller back to one subject at a time, to name the one that fails.
    """
    if rule.matching is None:
        return None
    try:
        out = rule.matching.render(
            subjects=subjects,
            config=config,
            options=dict(options),
            version=_version_tuple(config.version),
            proxy=config.proxy,
        )
    except BudgetSpent:
        raise
    except Exception:  # whatever a rule's expression raises, the per-subject pass names it
        return None
    return [subjects[int(i)] for i in out.split()]


def _finding(
    rule: Rule,
    config: ProxyConfig,
    subject: Any,
    context: dict[str, Any],
    texts: SourceTexts,
    diagnostics: list[Diagnostic],
    overrides: Mapping[str, Severity],
) -> Finding | None:
    where = rule.at.value_in(context) if rule.at is not None else None
    if not isinstance(where, Source):
        where = subject.source
    if not isinstance(where, Source):
        return None
    message = " ".join(rule.message[config.proxy].render_in(context).split())
    origin = (
        subject.endpoint.origin
        if isinstance(subject, EndpointResult)
        else subject.websocket.origin
        if isinstance(subject, Route)
        else None
    )
    if origin is not None:
        message += f" ({origin.describe()})"
    fix = None
    compiled = rule.fixes.get(config.proxy)
    if compiled is not None:
        try:
            fix = build_fix(compiled, context, texts)
            if fix is not None and fix.edits and not config.text_fixes:
                fix = replace(fix, edits=())
        except FixError as exc:
            diagnostics.append(
                Diagnostic(
                    "internal",
                    Severity.INFO,
                    f"{rule.id}: no fix offered: {exc}",
                    where.path,
                    where.line,
                )
            )
    return Finding(
        rule=rule.id,
        code=rule.code,
        category=rule.spec.category,
        severity=_severity(rule, subject, overrides),
        message=message,
        path=where.path,
        line=where.line,
        column=where.column,
        proxy=config.proxy,
        route=_route_ref(subject) if isinstance(subject, Route) else _endpoint_route(subject),
        anchors=_anchors(subject),
        fix=fix,
    )


def _failed(rule: Rule, message: str, where: Source | None) -> Diagnostic:
    """A rule that could not be evaluated, named with its file (a user's rule is theirs to fix)."""
    return Diagnostic(
        "internal",
        Severity.ERROR,
        f"rule {rule.id} ({rule.code}, {rule.spec.path}) {message}",
        where.path if where else None,
        where.line if where else None,
    )


def _rule_findings(
    rule: Rule,
    config: ProxyConfig,
    settings: RunSettings,
    sources: SourceTexts,
    diagnostics: list[Diagnostic],
    websocket_routes: list[Route],
) -> list[Finding]:
    options = {name: opt.default for name, opt in rule.spec.options.items()}
    options.update(settings.options.get(rule.id, {}))
    subjects = list(_subjects(config, rule, websocket_routes))
    if not subjects:
        return []
    out: list[Finding] = []
    matching = _matching(rule, config, subjects, options)
    version = _version_tuple(config.version)
    for subject in subjects if matching is None else matching:
        try:
            if matching is None:
                finding = _one(rule, config, subject, options, sources, diagnostics, settings.severity, version)
            else:
                context = _context(rule, config, subject, options, version)
                finding = _finding(rule, config, subject, context, sources, diagnostics, settings.severity)
        except BudgetSpent:
            raise
        except Exception as exc:  # a rule's template or expression failed: the rule's error
            diagnostics.append(_failed(rule, f"failed: {type(exc).__name__}: {exc}", getattr(subject, "source", None)))
            continue
        if finding is not None:
            out.append(finding)
    return out


def run_rules(
    config: ProxyConfig,
    rules: Iterable[Rule],
    settings: RunSettings,
    texts: Mapping[str, str],
    diagnostics: list[Diagnostic],
) -> list[Finding]:
    found: dict[tuple[str, str, int, int], Finding] = {}
    sources = SourceTexts(texts)
    # the subjects of every rule that judges only WebSocket routes, picked out once
    websocket_routes = [r for r in config.routes if r.websocket.carries_websockets]
    for rule in rules:
        if config.proxy not in rule.spec.proxies:
            continue
        mine: list[Diagnostic] = []
        try:
            with time_budget(None if rule.spec.builtin else USER_RULE_BUDGET):
                findings = _rule_findings(rule, config, settings, sources, mine, websocket_routes)
        except BudgetSpent:
            # what the rule found before it was stopped is incomplete: none of it is reported
            diagnostics.append(
                _failed(
                    rule,
                    f"was stopped after {USER_RULE_BUDGET:g} s on this configuration (its time budget); "
                    "none of its findings are reported",
                    Source(config.files[0], 1) if config.files else None,
                )
            )
            continue
        diagnostics.extend(mine)
        for finding in findings:
            key = (finding.rule, finding.path, finding.line, finding.column or 0)
            earlier = found.get(key)
            if earlier is None:
                found[key] = finding
            elif finding.route is not None and earlier.route is not None:
                # one line that breaks several routes is one finding naming them all,
                # told from the route with the strongest WebSocket evidence
                primary, other = (finding, earlier) if finding.severity > earlier.severity else (earlier, finding)
                assert other.route is not None and primary.route is not None
                labels = [other.route.name or other.route.match, *earlier.related, *finding.related]
                mine_label = primary.route.name or primary.route.match
                related = tuple(dict.fromkeys(x for x in labels if x is not None and x != mine_label))
                found[key] = replace(primary, related=related)
    return fingerprinted(sorted(found.values(), key=lambda f: f.sort_key), sources)


def fingerprinted(findings: list[Finding], sources: SourceTexts) -> list[Finding]:
    """Findings with a fingerprint made of what they say, not where the line is.

    The rule, the file, the flagged line's text (without indentation) and the
    route identify a finding; a counter tells identical ones apart. Adding a
    line elsewhere in the file keeps every fingerprint.
    """
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for f in findings:
        lines = sources.lines(f.path) or []
        text = lines[f.line - 1].strip() if 0 < f.line <= len(lines) else ""
        route = f.route.match if f.route is not None and f.route.match is not None else ""
        base = hashlib.sha256(f"{f.rule}\0{f.path}\0{text}\0{route}".encode()).hexdigest()[:20]
        seen[base] = seen.get(base, 0) + 1
        out.append(replace(f, fingerprint=f"{base}:{seen[base]}"))
    return out
