"""Rule files: the strict schema, the shipped rules' completeness, and their executable examples."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from wslint.categories import CATEGORIES
from wslint.core import LintOptions, run
from wslint.endpoints import Endpoint, parse_endpoint
from wslint.engine.rules import RuleSet, builtin_rule_files, compile_rule
from wslint.engine.sandbox import make_environment
from wslint.engine.schema import RuleFileError, parse_rule
from wslint.findings import Severity

from .conftest import SHARED

REPO = Path(__file__).resolve().parents[1]
VALID: dict[str, Any] = yaml.safe_load((REPO / "tests" / "data" / "user-rule.yaml").read_text())


def _load(data: Any) -> None:
    compile_rule(parse_rule(data, "r.yaml", builtin=False), make_environment())


def test_the_valid_rule_loads() -> None:
    _load(VALID)


def _mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    node: Any = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("colour", "red", "r.yaml: unknown key 'colour'"),
        ("id", _DELETE, "r.yaml: id: missing"),
        ("id", "Not_Kebab", "r.yaml: id: must be kebab-case"),
        ("code", "W1", "r.yaml: code: must look like WS101"),
        ("category", "made-up", "r.yaml: category: must be one of"),
        ("severity", 3, "r.yaml: severity: expected str, got int"),
        ("proxies", ["nginx", "iis"], "r.yaml: proxies[1]: must be one of"),
        ("proxies", [], "r.yaml: proxies: must list at least one proxy"),
        ("scope", "listener", "r.yaml: scope: must be one of"),
        ("when", "route.tunnels and (", "r.yaml: when: invalid expression"),
        ("message", "{% if %}", "r.yaml: message: invalid template"),
        ("fix.nginx.edits.0.insert_into", _DELETE, "r.yaml: fix.nginx.edits[0]: needs exactly one of"),
        ("fix.nginx.edits.0.position", "middle", "r.yaml: fix.nginx.edits[0].position: must be one of"),
        ("fix.nginx.edits.0.typo", 1, "r.yaml: fix.nginx.edits[0]: unknown key 'typo'"),
        ("fix.haproxy", {"description": "x", "snippet": "y"}, "r.yaml: fix.haproxy: is not one of this rule"),
        ("examples", {}, "r.yaml: examples.nginx: missing"),
        ("examples.nginx.bad", "", "r.yaml: examples.nginx.bad: must not be empty"),
        ("references", ["http://insecure.example"], "r.yaml: references[0]: must be an https:// URL"),
        (
            "options",
            {"min": {"type": "duration", "default": "soon", "help": "h"}},
            "options.min.default: not a duration",
        ),
    ],
)
def test_schema_errors_name_the_file_and_field(path: str, value: Any, message: str) -> None:
    with pytest.raises(RuleFileError) as exc:
        _load(_mutate(path, value))
    assert message in str(exc.value)


def test_yaml_is_loaded_safely() -> None:
    from wslint.engine.rules import _load_file

    with pytest.raises(RuleFileError, match="not valid YAML"):
        _load_file("id: !!python/object/apply:os.system ['true']\n", "evil.yaml", False)


def test_templates_cannot_reach_python_internals() -> None:
    env = make_environment()
    expr = env.compile_expression("route.__class__.__mro__")
    from jinja2.exceptions import SecurityError, UndefinedError

    with pytest.raises((SecurityError, UndefinedError)):
        str(expr(route=object()))


def test_every_shipped_rule_is_complete(rules: RuleSet) -> None:
    names = [Path(n).stem for n, _ in builtin_rule_files()]
    assert sorted(names) == sorted(r.id for r in rules)
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes))
    for r in rules:
        assert r.spec.category in CATEGORIES
        for proxy in r.spec.proxies:
            example = r.spec.examples[proxy]
            assert example.e2e is not None, f"{r.id}: examples.{proxy} needs an e2e section for the real-proxy test"
        assert r.spec.why.strip() and r.spec.client_sees.strip()


def test_categories_match_the_shared_vocabulary() -> None:
    vocab_file = SHARED / "CATEGORIES.md"
    if not vocab_file.is_file():
        pytest.skip("../shared/CATEGORIES.md is not present in this checkout")
    vocab = set(re.findall(r"^\| `([a-z0-9-]+)` \|", vocab_file.read_text(), re.M))
    assert vocab == set(CATEGORIES)


def example_endpoint(e2e: Any) -> tuple[Endpoint, ...]:
    """The endpoint an example declares (its e2e path and host, on the examples' port 8080)."""
    url = f"ws://{e2e.host}:8080{e2e.path}" + (f"#backend={e2e.backend}" if e2e.backend else "")
    return (parse_endpoint(url),)


def _lint_example(tmp_path: Path, text: str, rules: RuleSet, name: str, e2e: Any, proxy: str) -> list[Any]:
    site = tmp_path / name
    site.write_text(text)
    return run(LintOptions(paths=(str(site),), proxy=proxy, endpoints=example_endpoint(e2e)), rules).findings


@pytest.mark.parametrize("rule_id", [Path(n).stem for n, _ in builtin_rule_files()])
def test_rule_examples_are_executed(rule_id: str, rules: RuleSet, tmp_path: Path) -> None:
    rule = rules.get(rule_id)
    assert rule is not None
    for proxy, example in rule.spec.examples.items():
        bad = _lint_example(tmp_path, example.bad, rules, f"bad-{proxy}.conf", example.e2e, proxy)
        fired = [f for f in bad if f.rule == rule_id]
        assert fired, f"{rule_id}: the bad {proxy} example does not trigger it"
        assert all(f.severity >= Severity.WARNING for f in fired)
        good = _lint_example(tmp_path, example.good, rules, f"good-{proxy}.conf", example.e2e, proxy)
        assert good == [], f"{rule_id}: the good {proxy} example has findings: {good}"


def test_every_shipped_template_and_expression_parses() -> None:
    """A run skips this check for the shipped rules (start-up time), so the suite must make it."""
    from wslint.engine.rules import load_rules

    assert len(load_rules(check_builtin=True)) == len(builtin_rule_files())


def test_a_broken_shipped_template_is_caught_by_the_check() -> None:
    name, text = next((n, t) for n, t in builtin_rule_files() if n.endswith("route-miss.yaml"))
    data = yaml.safe_load(text)
    data["message"] = "{{ route.name "
    spec = parse_rule(data, name, builtin=True)
    compile_rule(spec, make_environment(), check=False)  # what a run does: no parse yet
    with pytest.raises(RuleFileError, match="message: invalid template"):
        compile_rule(spec, make_environment(), check=True)
