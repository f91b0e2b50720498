"""The shipped rules run as Python translated from their Jinja (engine/native.py): it must say what Jinja says.

Every fixture of every proxy is linted with the translated rules (what a run does) and with the same rules
through Jinja's sandbox (what a user's rule gets), and every output format must come out identical. The
runtime's filters and tests are compared with Jinja's own on the values rules give them, edge cases included.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from wslint import __version__
from wslint.core import LintOptions, run
from wslint.engine import native, native_runtime
from wslint.engine.codecache import CodeCache
from wslint.engine.rules import Environments, RuleSet, builtin_rule_files, compile_rule, load_rules
from wslint.engine.runner import RunSettings, run_rules
from wslint.engine.sandbox import make_environment
from wslint.engine.schema import parse_rule
from wslint.findings import Diagnostic, Finding
from wslint.formatters import FORMATTERS
from wslint.formatters.context import FormatContext
from wslint.path_endpoints import focus_path_endpoints
from wslint.safe_yaml import load as load_yaml

from .test_fixtures import (
    APACHE_FIXTURES,
    CADDY_FIXTURES,
    FIXTURES,
    HAPROXY_FIXTURES,
    TRAEFIK_FIXTURES,
    _options,
    annotations,
    apache_cases,
    caddy_cases,
    cases,
    haproxy_cases,
    traefik_cases,
)

GROUPS: dict[str, tuple[Path, str | None, list[Path]]] = {
    "nginx": (FIXTURES, None, cases()),
    "traefik": (TRAEFIK_FIXTURES, "traefik", traefik_cases()),
    "haproxy": (HAPROXY_FIXTURES, None, haproxy_cases()),
    "apache": (APACHE_FIXTURES, "apache", apache_cases()),
    "caddy": (CADDY_FIXTURES, "caddy", caddy_cases()),
}


@pytest.fixture(scope="module")
def jinja_rules() -> RuleSet:
    """The shipped rules, every expression and template through the sandbox (no cache: compiled here)."""
    envs = Environments(CodeCache(None))
    specs = [parse_rule(load_yaml(text, name), name, builtin=True) for name, text in builtin_rule_files()]
    return RuleSet((compile_rule(s, envs, check=False, translated=False) for s in specs), envs)


def _findings(case: Path, base: Path, proxy: str | None, rules: RuleSet, jinja_rules: RuleSet) -> list[Checked]:
    """Each configuration of a fixture, read once, judged by both rule sets: (findings, diagnostics) each."""
    _, _, args = annotations(case, base)
    options = LintOptions(paths=(os.path.relpath(case, base),), proxy=proxy, **_options(args))  # type: ignore[arg-type]
    report = run(options, rules)
    out = []
    for config in report.configs:
        both = []
        for ruleset in (rules, jinja_rules):
            diagnostics: list[Diagnostic] = []
            found = run_rules(focus_path_endpoints(config), list(ruleset), RunSettings(), report.texts, diagnostics)
            both.append((found, diagnostics))
        out.append((both[0], both[1], report.texts))
    return out


Checked = tuple[tuple[list[Finding], list[Diagnostic]], tuple[list[Finding], list[Diagnostic]], dict[str, str]]


def _formats(judged: list[tuple[list[Finding], list[Diagnostic]]], texts: dict[str, str], base: Path) -> dict[str, str]:
    """Every format of a group's findings and diagnostics together (the formatters are functions of them)."""
    ctx = FormatContext(
        tuple(f for found, _ in judged for f in found),
        tuple(d for _, diagnostics in judged for d in diagnostics),
        __version__,
        texts=texts,
        root=str(base),
        cwd=str(base),
    )
    return {name: FORMATTERS[name](ctx) for name in FORMATTERS}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_fixture_says_the_same_in_every_format_translated_or_through_jinja(
    group: str, rules: RuleSet, jinja_rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, proxy, group_cases = GROUPS[group]
    assert group_cases
    monkeypatch.chdir(base)
    translated, through_jinja = [], []
    texts: dict[str, str] = {}
    for case in group_cases:
        for mine, theirs, read in _findings(case, base, proxy, rules, jinja_rules):
            assert mine == theirs, os.path.relpath(case, base)
            translated.append(mine)
            through_jinja.append(theirs)
            texts.update(read)
    assert sum(len(found) for found, _ in translated) >= 10  # it compared findings, not only silence
    mine_out, theirs_out = _formats(translated, texts, base), _formats(through_jinja, texts, base)
    for name in FORMATTERS:
        assert mine_out[name] == theirs_out[name], f"--format {name}"


def test_every_shipped_expression_and_template_is_translated() -> None:
    """None of them falls back to the sandbox (which would import Jinja on every run)."""
    for rule in load_rules():
        spec = rule.spec
        sources = [("expression", spec.when), *([("expression", spec.at)] if spec.at else [])]
        sources += [("template", m) for m in spec.message.values()]
        for fix in spec.fix.values():
            sources += [("template", fix.description), *([("template", fix.snippet)] if fix.snippet else [])]
            for e in fix.edits:
                sources += [
                    ("expression", e.target),
                    ("template", e.text),
                    *([("expression", e.when)] if e.when else []),
                ]
        for kind, source in sources:
            native.load(kind, source, None)  # raises Unsupported


def _jinja(template: str, **context: Any) -> str:
    return make_environment().from_string(template).render(**context)


def _native(template: str, **context: Any) -> str:
    return str(native.load("template", template, None)(context))


class Obj:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


TEMPLATES = [
    "{{ xs | selectattr('kind', 'equalto', 'a') | map(attribute='name') | join(', ') }}",
    "{{ xs | selectattr('name') | list | length }}",
    "{{ xs | rejectattr('kind', 'equalto', 'a') | map(attribute='name') | list }}",
    "{{ (xs | selectattr('kind', 'equalto', 'zzz') | first) is defined }}",
    "{{ (xs | first).name }}{{ (xs | selectattr('kind', 'equalto', 'b') | first).name | default('none') }}",
    "{{ words | unique | join(' ') }}|{{ words | unique(case_sensitive=true) | join(' ') }}",
    "{{ words | map('lower') | join('-') }}",
    "[{{ block | indent(4) }}][{{ block | indent(2, first=true) }}][{{ block | indent('> ', blank=true) }}]",
    "{{ 'location /ws' | replace('location ', 'location ^~ ', 1) }}{{ 'a_pass' | replace('_pass', '') }}",
    "{{ n ~ ' ' ~ none ~ ' ' ~ true }}{{ n | plural('route') }}",
    "{% set x = 1 %}{% for w in words %}{% set x = loop.index %}{{ x }}{{ ',' if not loop.last }}{% endfor %}={{ x }}",
    "{% for w in words %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.length }}{{ loop.first }} "
    "{% endfor %}",
    "{% for w in [] %}{{ w }}{% else %}empty{% endfor %}{% for a, b in pairs %}{{ a }}{{ b }}{% endfor %}",
    "{% if n > 2 %}big{% elif n == 2 %}two{% else %}small{% endif %}\n  {%- if xs %} list{% endif %}",
    "{{ d.key }} {{ d['key'] }} {{ xs[0].name }} {{ words[1:] | join }} {{ (n * 3) // 2 }} {{ 'b' in words }}",
    "{{ 'x' if n is none else 'y' }}{{ missing is defined }}{{ missing | default('fallback') }}",
    # lookups the plain first try cannot make (an item by attribute, an attribute by item, one that is not
    # there): the second, Jinja's way, gives Jinja's answer
    "{{ d.key }} {{ xs[0]['name'] }} {{ xs[0].nothing is defined }} {{ d.nothing | default('-') }} {{ n.real }}",
    # the runtime's other filters, which no shipped rule uses yet
    "{{ words | last }} {{ words | select | list | count }} {{ xs | map(attribute='name') | reject | list }}"
    " {{ words | first | upper }} {{ n | string ~ 'x' }} {{ xs | rejectattr('name') | map(attribute='kind') | join }}",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_runtime_renders_what_jinja_renders(template: str) -> None:
    context = {
        "xs": [Obj(name="one", kind="a"), Obj(name="", kind="b"), Obj(name="three", kind="a")],
        "words": ["Alpha", "beta", "alpha", "Beta", "gamma"],
        "block": "first\n\n  second\nthird\n",
        "n": 2,
        "d": {"key": "v"},
        "pairs": [("a", 1), ("b", 2)],
    }
    assert _native(template, **context) == _jinja(template, **context)


@pytest.mark.parametrize(
    "template",
    ["{{ missing }}", "{{ missing.name }}", "{% if missing %}x{% endif %}", "{{ [] | first | string }}"],
)
def test_an_undefined_value_fails_as_under_strict_undefined(template: str) -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        _jinja(template)
    with pytest.raises(native_runtime.UndefinedValue):
        _native(template)


def test_an_unsupported_construct_runs_through_the_sandbox() -> None:
    source = "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}"
    with pytest.raises(native.Unsupported):
        native.load("template", source, None)
    data = load_yaml(dict(builtin_rule_files())["rules/route-miss.yaml"], "route-miss.yaml")
    assert isinstance(data, dict)
    data["message"] = source
    rule = compile_rule(parse_rule(data, "rules/route-miss.yaml", builtin=True), Environments(), False, True)
    assert rule.message["nginx"].render() == "<1>"


def test_a_translation_is_cached_with_its_verdict(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path)
    assert native.load("expression", "n + 1", cache)({"n": 1}) == 2
    with pytest.raises(native.Unsupported):
        native.load("template", "{% macro m() %}{% endmacro %}", cache)
    assert len(list(tmp_path.iterdir())) == 2
    # read back: the same answers without translating again
    assert native.load("expression", "n + 1", CodeCache(tmp_path))({"n": 41}) == 42
    with pytest.raises(native.Unsupported):
        native.load("template", "{% macro m() %}{% endmacro %}", CodeCache(tmp_path))
