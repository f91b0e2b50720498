"""The rule file format, validated strictly when rules are loaded.

A rule file is one YAML mapping. Unknown keys, missing keys and wrong types
are errors that name the file and the field (`rules/x.yaml: fix.nginx.edits[0]:
unknown key 'isnert_into'`), so a typo never silently disables a check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from wslint.categories import CATEGORIES
from wslint.durations import parse_duration
from wslint.findings import Severity

PROXIES = ("nginx", "haproxy", "traefik", "apache", "caddy")
SCOPES = ("route", "variable_reference", "misplaced_directive", "endpoint")
PROBES = ("handshake", "idle", "plain-http", "origin-check")
OPTION_TYPES = ("duration", "integer", "string", "boolean")

ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
CODE_RE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")


class RuleFileError(Exception):
    """A rule file that does not follow the schema; the message names file and field."""


@dataclass(frozen=True)
class EditSpec:
    action: Literal["insert_into", "insert_after", "insert_before", "replace", "delete"]
    target: str
    text: str
    position: Literal["start", "end"]
    when: str | None


@dataclass(frozen=True)
class FixSpec:
    description: str
    snippet: str | None
    edits: tuple[EditSpec, ...]


@dataclass(frozen=True)
class E2ESpec:
    """How the real-proxy tests exercise a rule's examples (and the endpoint the examples declare)."""

    path: str
    probe: str
    idle: float
    host: str
    backend: str | None


@dataclass(frozen=True)
class Example:
    bad: str
    good: str
    e2e: E2ESpec | None


@dataclass(frozen=True)
class OptionSpec:
    type: str
    default: Any
    help: str


@dataclass(frozen=True)
class RuleSpec:
    id: str
    code: str
    title: str
    category: str
    severity: Severity
    proxies: tuple[str, ...]
    scope: str
    requires_websocket: bool
    when: str
    at: str | None
    # the message template for each proxy of the rule (one template may serve several)
    message: Mapping[str, str]
    why: str
    client_sees: str
    fix: Mapping[str, FixSpec]
    examples: Mapping[str, Example]
    references: tuple[str, ...]
    options: Mapping[str, OptionSpec]
    path: str
    builtin: bool


def _err(path: str, field: str, msg: str) -> RuleFileError:
    where = f"{path}: {field}: " if field else f"{path}: "
    return RuleFileError(where + msg)


class _Reader:
    """Reads one mapping, remembering which keys were consumed to reject the rest."""

    def __init__(self, data: Any, path: str, field: str) -> None:
        if not isinstance(data, dict):
            raise _err(path, field, f"expected a mapping, got {type(data).__name__}")
        self.data = data
        self.path = path
        self.field = field
        self.seen: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else key

    def get(self, key: str, kind: type | tuple[type, ...], required: bool = True, default: Any = None) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if required:
                raise _err(self.path, self._name(key), "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise _err(self.path, self._name(key), f"expected {names}, got {type(value).__name__}")
        return value

    def text(self, key: str, required: bool = True, default: str | None = None) -> Any:
        value = self.get(key, str, required, default)
        if required and isinstance(value, str) and not value.strip():
            raise _err(self.path, self._name(key), "must not be empty")
        return value

    def sub(self, key: str, required: bool = True) -> _Reader | None:
        self.seen.add(key)
        if key not in self.data:
            if required:
                raise _err(self.path, self._name(key), "missing")
            return None
        return _Reader(self.data[key], self.path, self._name(key))

    def finish(self) -> None:
        extra = sorted(str(k) for k in self.data if k not in self.seen)
        if extra:
            raise _err(self.path, self.field, f"unknown key {extra[0]!r}")


def _choice(r: _Reader, key: str, allowed: tuple[str, ...], required: bool = True, default: str = "") -> str:
    value = r.text(key, required, default)
    if value not in allowed:
        raise _err(r.path, r._name(key), f"must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _edit(r: _Reader) -> EditSpec:
    actions = [a for a in ("insert_into", "insert_after", "insert_before", "replace", "delete") if a in r.data]
    if len(actions) != 1:
        raise _err(r.path, r.field, "needs exactly one of insert_into, insert_after, insert_before, replace, delete")
    action = actions[0]
    target = r.text(action)
    text = r.get("text", str, required=action != "delete", default="")
    position = _choice(r, "position", ("start", "end"), required=False, default="end")
    when = r.text("when", required=False)
    r.finish()
    return EditSpec(action, target, text, position, when)  # type: ignore[arg-type]


def _fix(r: _Reader) -> FixSpec:
    description = r.text("description")
    snippet = r.text("snippet", required=False)
    edits_raw = r.get("edits", list, required=False, default=[])
    edits = tuple(_edit(_Reader(e, r.path, f"{r.field}.edits[{i}]")) for i, e in enumerate(edits_raw))
    if not edits and snippet is None:
        raise _err(r.path, r.field, "needs edits or a snippet")
    r.finish()
    return FixSpec(description, snippet, edits)


def _example(r: _Reader) -> Example:
    bad = r.text("bad")
    good = r.text("good")
    e2e = None
    e = r.sub("e2e", required=False)
    if e is not None:
        path = e.text("path")
        probe = _choice(e, "probe", PROBES, required=False, default="handshake")
        idle = e.get("idle", (int, float), required=False, default=0)
        host = e.text("host", required=False, default="app.example.test")
        backend = e.text("backend", required=False)
        e.finish()
        e2e = E2ESpec(path, probe, float(idle), host, backend)
    r.finish()
    return Example(bad, good, e2e)


def _option(r: _Reader) -> OptionSpec:
    kind = _choice(r, "type", OPTION_TYPES)
    r.seen.add("default")
    if "default" not in r.data:
        raise _err(r.path, r._name("default"), "missing")
    default = r.data["default"]
    default = coerce_option(kind, default, r.path, r._name("default"))
    help_text = r.text("help")
    r.finish()
    return OptionSpec(kind, default, help_text)


def coerce_option(kind: str, value: Any, path: str, field: str) -> Any:
    """An option value converted to its type (durations become seconds)."""
    if kind == "duration":
        seconds = parse_duration(str(value))
        if seconds is None:
            raise _err(path, field, f"not a duration: {value!r} (write e.g. 60s, 5m, 1h)")
        return seconds
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                return int(str(value))
            except ValueError:
                raise _err(path, field, f"not an integer: {value!r}") from None
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise _err(path, field, f"not a boolean: {value!r}")
    return str(value)


def _messages(r: _Reader, proxies: tuple[str, ...]) -> dict[str, str]:
    """`message:` as one template for every proxy, or a mapping from proxies to their own (`default`: the rest)."""
    value = r.get("message", (str, dict))
    if isinstance(value, str):
        if not value.strip():
            raise _err(r.path, "message", "must not be empty")
        return dict.fromkeys(proxies, value)
    out: dict[str, str] = {}
    default = value.get("default")
    for proxy, text in value.items():
        if proxy == "default":
            continue
        if proxy not in proxies:
            raise _err(r.path, f"message.{proxy}", "is not one of this rule's proxies")
        if not isinstance(text, str) or not text.strip():
            raise _err(r.path, f"message.{proxy}", "must be a non-empty template")
        out[proxy] = text
    if default is not None and (not isinstance(default, str) or not default.strip()):
        raise _err(r.path, "message.default", "must be a non-empty template")
    for proxy in proxies:
        if proxy not in out:
            if default is None:
                raise _err(r.path, f"message.{proxy}", "missing (or give a `default` for the proxies not named)")
            out[proxy] = default
    return out


def parse_rule(data: Any, path: str, builtin: bool) -> RuleSpec:
    r = _Reader(data, path, "")
    rule_id = r.text("id")
    if not ID_RE.match(rule_id):
        raise _err(path, "id", f"must be kebab-case, got {rule_id!r}")
    code = r.text("code")
    if not CODE_RE.match(code):
        raise _err(path, "code", f"must look like WS101, got {code!r}")
    category = _choice(r, "category", tuple(CATEGORIES))
    severity = Severity.parse(_choice(r, "severity", ("error", "warning", "info")))
    proxies_raw = r.get("proxies", list)
    if not proxies_raw:
        raise _err(path, "proxies", "must list at least one proxy")
    for i, p in enumerate(proxies_raw):
        if p not in PROXIES:
            raise _err(path, f"proxies[{i}]", f"must be one of {', '.join(PROXIES)}, got {p!r}")
    scope = _choice(r, "scope", SCOPES)
    requires_ws = r.get("requires_websocket", bool, required=False, default=scope == "route")
    fix_r = r.sub("fix")
    assert fix_r is not None
    fixes: dict[str, FixSpec] = {}
    for proxy in list(fix_r.data):
        if proxy not in proxies_raw:
            raise _err(path, f"fix.{proxy}", "is not one of this rule's proxies")
        sub = fix_r.sub(proxy)
        assert sub is not None
        fixes[proxy] = _fix(sub)
    fix_r.finish()
    ex_r = r.sub("examples")
    assert ex_r is not None
    examples: dict[str, Example] = {}
    for proxy in list(ex_r.data):
        if proxy not in proxies_raw:
            raise _err(path, f"examples.{proxy}", "is not one of this rule's proxies")
        sub = ex_r.sub(proxy)
        assert sub is not None
        examples[proxy] = _example(sub)
    ex_r.finish()
    for proxy in proxies_raw:
        if proxy not in fixes:
            raise _err(path, f"fix.{proxy}", "missing (every proxy the rule supports needs a fix)")
        if proxy not in examples:
            raise _err(path, f"examples.{proxy}", "missing (every proxy the rule supports needs examples)")
    refs = r.get("references", list)
    if not refs:
        raise _err(path, "references", "must list at least one source")
    for i, ref in enumerate(refs):
        if not isinstance(ref, str) or not ref.startswith("https://"):
            raise _err(path, f"references[{i}]", "must be an https:// URL")
    options: dict[str, OptionSpec] = {}
    opt_r = r.sub("options", required=False)
    if opt_r is not None:
        for name in list(opt_r.data):
            if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
                raise _err(path, f"options.{name}", "option names are snake_case")
            sub = opt_r.sub(name)
            assert sub is not None
            options[name] = _option(sub)
        opt_r.finish()
    spec = RuleSpec(
        id=rule_id,
        code=code,
        title=r.text("title"),
        category=category,
        severity=severity,
        proxies=tuple(proxies_raw),
        scope=scope,
        requires_websocket=bool(requires_ws),
        when=r.text("when"),
        at=r.text("at", required=False),
        message=_messages(r, tuple(proxies_raw)),
        why=r.text("why"),
        client_sees=r.text("client_sees"),
        fix=fixes,
        examples=examples,
        references=tuple(refs),
        options=options,
        path=path,
        builtin=builtin,
    )
    r.finish()
    return spec
