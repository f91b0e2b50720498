"""The rule contract: the names a rule can use are the model's, checked at load and documented from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from wslint.engine.contract import reference
from wslint.engine.rules import builtin_rule_files, load_rules
from wslint.engine.schema import RuleFileError

REPO = Path(__file__).resolve().parents[1]
USER_RULE = (REPO / "tests" / "data" / "user-rule.yaml").read_text()


def test_the_reference_page_is_generated_from_the_code() -> None:
    page = (REPO / "docs" / "rule-contract.md").read_text()
    assert page == reference(), "run `python -m wslint.engine.contract > docs/rule-contract.md`"
    # what rules use most is there, with the values rules compare against
    for name in (
        "### EndpointResult",
        "### Route",
        "### Miss",
        "`misses`",
        "**Reason**",
        "`try-files`",
        "`host-has-port`",
    ):
        assert name in page


def _user_rule(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "team.yaml").write_text(text)
    return directory


@pytest.mark.parametrize(
    ("field", "old", "new", "error"),
    [
        ("message", "{{ route.name }}", "{{ route.nmae }}", "message: `route.nmae`: Route has no attribute 'nmae'"),
        ("when", "route.idle_timeout.default", "route.idle_timeout.defualt", "Setting has no attribute 'defualt'"),
        (
            "fix.nginx.edits[0].insert_into",
            "insert_into: route.block",
            "insert_into: route.blok",
            "fix.nginx.edits[0].insert_into: `route.blok`",
        ),
    ],
)
def test_an_unknown_attribute_fails_when_the_rule_loads(
    tmp_path: Path, field: str, old: str, new: str, error: str
) -> None:
    assert old in USER_RULE
    directory = _user_rule(tmp_path, USER_RULE.replace(old, new))
    with pytest.raises(RuleFileError) as exc:
        load_rules([str(directory)])
    assert str(exc.value).startswith(str(directory / "team.yaml"))
    assert error in str(exc.value) and field in str(exc.value)


def test_loop_and_set_variables_are_typed_too(tmp_path: Path) -> None:
    text = USER_RULE.replace(
        'message: "`{{ route.name }}` relies on the default proxy_read_timeout"',
        'message: "{% for h in route.handshakes %}{{ h.upgrade_statu }}{% endfor %}"',
    )
    with pytest.raises(RuleFileError, match="UpstreamRequest has no attribute 'upgrade_statu'"):
        load_rules([str(_user_rule(tmp_path, text))])


def test_a_message_can_be_given_per_proxy(tmp_path: Path) -> None:
    data = yaml.safe_load(USER_RULE)
    data["proxies"] = ["nginx", "caddy"]
    data["fix"]["caddy"] = {"description": "x", "snippet": "x"}
    data["examples"]["caddy"] = data["examples"]["nginx"]
    data["message"] = {"caddy": "caddy {{ route.name }}"}
    directory = _user_rule(tmp_path, yaml.safe_dump(data))
    with pytest.raises(RuleFileError, match=r"message\.nginx: missing"):
        load_rules([str(directory)])
    data["message"]["default"] = "other {{ route.name }}"
    (directory / "team.yaml").write_text(yaml.safe_dump(data))
    rule = load_rules([str(directory)]).get("XX001")
    assert rule is not None and set(rule.message) == {"nginx", "caddy"}
    data["message"] = {"haproxy": "x"}
    (directory / "team.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RuleFileError, match=r"message\.haproxy: is not one of this rule's proxies"):
        load_rules([str(directory)])


# a condition on the proxy, and logic that reads prose: a message's words or a trace step's text
PROXY_BRANCH = re.compile(r"\bproxy\s*(==|!=|in\b|not in\b)")
PROSE = re.compile(r"(reason|steps\[\d+\]\.text|\.text)\s*\.\s*(split|startswith|endswith)|'[^']*'\s+in\s+\S*reason")


@pytest.mark.parametrize(("name", "text"), builtin_rule_files(), ids=lambda v: v if v.endswith(".yaml") else "")
def test_shipped_rules_neither_branch_on_the_proxy_nor_parse_prose(name: str, text: str) -> None:
    data = yaml.safe_load(text)
    messages = data["message"].values() if isinstance(data["message"], dict) else [data["message"]]
    for field, value in [("when", data["when"]), ("at", data.get("at") or ""), *(("message", m) for m in messages)]:
        assert not PROXY_BRANCH.search(value), f"{name}: {field} branches on the proxy: {value}"
    for proxy, fix in data["fix"].items():
        for part in ("description", "snippet"):
            assert not PROXY_BRANCH.search(fix.get(part) or ""), f"{name}: fix.{proxy}.{part} branches on the proxy"
    assert not PROSE.search(text.replace("rewrite.text", "")), f"{name} reads prose: {PROSE.search(text)}"
