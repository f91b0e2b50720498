"""Loading rule files: the built-in ones shipped with wslint and the user's (`--rules DIR`).

The user's expressions and templates are syntax-checked at load time, so a
mistake in a rule file is reported against that file and field before any
linting starts, and they run in Jinja's sandbox. The shipped rules skip that
check at run time (the test suite makes it: re-parsing some 300 templates on
every run would triple the start-up time of a pre-commit hook) and run as
Python translated from them once (native.py), so a run that needs nothing
else imports no Jinja.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wslint import rule_keys, safe_yaml
from wslint.cache_dir import default_directory
from wslint.engine import native
from wslint.engine.codecache import CodeCache
from wslint.engine.schema import RuleFileError, RuleSpec, parse_rule
from wslint.limits import Limits
from wslint.textfiles import TextFileError, read_text

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

Expression = Callable[..., Any]
# the names a rule sees and their types (wslint.engine.contract), for the load-time check
Names = Mapping[str, Any] | None


class Environments:
    """The Jinja environment rules run in, made on first need: the shipped rules' translated code needs none."""

    def __init__(self, cache: CodeCache | None = None, env: ImmutableSandboxedEnvironment | None = None) -> None:
        self.cache = cache
        self._env = env

    def get(self) -> ImmutableSandboxedEnvironment:
        if self._env is None:
            from wslint.engine.sandbox import make_environment

            self._env = make_environment(self.cache)
        return self._env


def _environments(env: ImmutableSandboxedEnvironment | Environments) -> Environments:
    return env if isinstance(env, Environments) else Environments(env=env)


def _check(envs: Environments, template: str, where: str, kind: str, names: Mapping[str, Any] | None) -> None:
    """At load: the template's syntax, and that every attribute it names is the model's."""
    from jinja2 import TemplateSyntaxError

    from wslint.engine.contract import ContractError, check_template

    env = envs.get()
    try:
        env.parse(template)
    except TemplateSyntaxError as exc:
        line = f" (line {exc.lineno})" if kind == "template" else ""
        raise RuleFileError(f"{where}: invalid {kind}{line}: {exc.message}") from None
    if names is not None:
        try:
            check_template(env, template, names)
        except ContractError as exc:
            raise RuleFileError(f"{where}: {exc} (see docs/rule-contract.md)") from None


class _Lazy:
    """Checked when the rule loads (its syntax, and that every attribute it names is the model's), compiled
    when first used."""

    kind = "template"

    def __init__(
        self,
        env: ImmutableSandboxedEnvironment | Environments,
        source: str,
        where: str,
        check: bool = True,
        names: Names = None,
        translated: bool = False,
    ) -> None:
        self._envs = _environments(env)
        if check:
            _check(self._envs, source if self.kind == "template" else "{{ " + source + " }}", where, self.kind, names)
        self._source = source
        self._translated = translated

    def _translation(self) -> native.Evaluator | None:
        """The Python translation of a shipped rule's source, or None: the sandbox runs it."""
        if not self._translated:
            return None
        try:
            return native.load(self.kind, self._source, self._envs.cache)
        except native.Unsupported:
            self._translated = False
            return None


class LazyTemplate(_Lazy):
    """A template checked when the rule loads and compiled the first time it renders.

    Compiling every message and fix template of every rule costs more than a
    small lint run; most never render because most runs find little. Their
    syntax and names are still checked at load, so a broken rule file fails up front.
    A shipped rule's template renders through its Python translation when there is one.
    """

    _compiled: Template | None = None
    _native: native.Evaluator | None = None

    def render(self, **context: Any) -> str:
        return self.render_in(context)

    def render_in(self, context: dict[str, Any]) -> str:
        """The text for the names in `context` (render's, without making a keyword dict per call)."""
        if self._native is None and self._translated:
            self._native = self._translation()
        if self._native is not None:
            return str(self._native(context))
        if self._compiled is None:
            from wslint.engine.sandbox import RuleEnvironment

            env = self._envs.get()
            self._compiled = (
                env.template(self._source) if isinstance(env, RuleEnvironment) else env.from_string(self._source)
            )
        return self._compiled.render(**context)


class LazyExpression(_Lazy):
    """An expression checked at load and compiled on its first evaluation (a shipped rule's: translated)."""

    kind = "expression"
    _compiled: Expression | None = None
    # the translation, called with the context dict itself
    _native: native.Evaluator | None = None

    def __call__(self, **context: Any) -> Any:
        return self.value_in(context)

    def value_in(self, context: dict[str, Any]) -> Any:
        """The value for the names in `context` (a call's, without making a keyword dict per call)."""
        if self._compiled is None:
            self._compiled = self._compile()
        if self._native is not None:
            return self._native(context)
        return self._compiled(**context)

    def _compile(self) -> Expression:
        function = self._translation()
        if function is not None:
            self._native = function
            return lambda **context: function(context)
        from wslint.engine.sandbox import RuleEnvironment

        env = self._envs.get()
        if isinstance(env, RuleEnvironment):
            return env.expression(self._source)
        return env.compile_expression(self._source, undefined_to_none=False)


@dataclass(frozen=True)
class CompiledEdit:
    action: str
    target: LazyExpression
    text: LazyTemplate
    position: str
    when: LazyExpression | None


@dataclass(frozen=True)
class CompiledFix:
    description: LazyTemplate
    snippet: LazyTemplate | None
    edits: tuple[CompiledEdit, ...]


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    when: LazyExpression
    at: LazyExpression | None
    # by proxy
    message: dict[str, LazyTemplate]
    fixes: dict[str, CompiledFix] = field(default_factory=dict)
    # `when` over a whole list of subjects in one render: the indexes that match
    matching: LazyTemplate | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def code(self) -> str:
        return self.spec.code


class RuleSet:
    def __init__(self, rules: Iterable[Rule], env: ImmutableSandboxedEnvironment | Environments) -> None:
        self.rules = sorted(rules, key=lambda r: r.code)
        self.envs = _environments(env)

    def get(self, key: str) -> Rule | None:
        for r in self.rules:
            if rule_keys.names_exactly(key, r.id, r.code):
                return r
        return None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def _messages(
    env: Environments, spec: RuleSpec, check: bool, names: Names, translated: bool
) -> dict[str, LazyTemplate]:
    """One compiled template per distinct message, shared by the proxies it serves."""
    compiled: dict[str, LazyTemplate] = {}
    out: dict[str, LazyTemplate] = {}
    for proxy, source in spec.message.items():
        if source not in compiled:
            field = "message" if len(set(spec.message.values())) == 1 else f"message.{proxy}"
            compiled[source] = LazyTemplate(env, source, f"{spec.path}: {field}", check, names, translated)
        out[proxy] = compiled[source]
    return out


def compile_rule(
    spec: RuleSpec, env: ImmutableSandboxedEnvironment | Environments, check: bool = True, translated: bool = False
) -> Rule:
    """`translated`: the expressions and templates run as their Python translation (shipped rules only)."""
    envs = _environments(env)
    names: Names = None
    if check:
        from wslint.engine.contract import roots

        names = roots(spec.scope)

    def _compile_expr(env: Environments, spec: RuleSpec, field: str, src: str) -> LazyExpression:
        return LazyExpression(env, src, f"{spec.path}: {field}", check, names, translated)

    def _compile_template(env: Environments, spec: RuleSpec, field: str, src: str) -> LazyTemplate:
        return LazyTemplate(env, src, f"{spec.path}: {field}", check, names, translated)

    fixes: dict[str, CompiledFix] = {}
    for proxy, fix in spec.fix.items():
        base = f"fix.{proxy}"
        edits = tuple(
            CompiledEdit(
                action=e.action,
                target=_compile_expr(envs, spec, f"{base}.edits[{i}].{e.action}", e.target),
                text=_compile_template(envs, spec, f"{base}.edits[{i}].text", e.text),
                position=e.position,
                when=_compile_expr(envs, spec, f"{base}.edits[{i}].when", e.when) if e.when else None,
            )
            for i, e in enumerate(fix.edits)
        )
        fixes[proxy] = CompiledFix(
            description=_compile_template(envs, spec, f"{base}.description", fix.description),
            snippet=_compile_template(envs, spec, f"{base}.snippet", fix.snippet) if fix.snippet else None,
            edits=edits,
        )
    variable = {"route": "route", "variable_reference": "ref", "misplaced_directive": "misplaced"}.get(
        spec.scope, "result"
    )
    batch = f"{{% for {variable} in subjects %}}{{% if {spec.when} %}}{{{{ loop.index0 }}}} {{% endif %}}{{% endfor %}}"
    when = _compile_expr(envs, spec, "when", spec.when)
    return Rule(
        matching=_compile_template(envs, spec, "when", batch),
        spec=spec,
        when=when,
        at=_compile_expr(envs, spec, "at", spec.at) if spec.at else None,
        message=_messages(envs, spec, check, names, translated),
        fixes=fixes,
    )


def _load_file(text: str, path: str, builtin: bool, cache: CodeCache | None = None) -> RuleSpec:
    data = cache.load_data(text) if cache is not None else None
    if data is None:
        try:
            data = safe_yaml.load(text, path)
        except safe_yaml.YamlError as exc:
            raise RuleFileError(str(exc)) from None
        if cache is not None and isinstance(data, dict):
            cache.store_data(text, data)
    return parse_rule(data, path, builtin)


def builtin_rules_dir() -> Path:
    """Where the shipped rules are: inside the installed package, or the checkout's rules/."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "rules"
    return installed if installed.is_dir() else package.parent / "rules"


def builtin_rule_files() -> list[tuple[str, str]]:
    """(name, text) of every rule shipped with wslint, in name order."""
    return sorted((f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in builtin_rules_dir().glob("*.yaml"))


def user_rule_files(directory: str) -> list[tuple[str, str]]:
    path = Path(directory)
    if not path.is_dir():
        raise RuleFileError(f"{directory}: --rules needs a directory of rule files")
    out = []
    for f in sorted(path.glob("*.y*ml")):
        try:
            out.append((str(f), read_text(str(f), str(f), Limits().file_size)))
        except TextFileError as exc:
            raise RuleFileError(str(exc)) from None
    return out


def load_rules(user_dirs: Iterable[str] = (), check_builtin: bool = False) -> RuleSet:
    """The shipped rules and those in `user_dirs`; `check_builtin` syntax-checks the shipped
    rules' templates too (the tests do; a run trusts them)."""
    cache = CodeCache(default_directory())
    envs = Environments(cache)
    # only the shipped rules' data is cached: a user's file is read afresh, so its errors always show
    specs: list[RuleSpec] = [_load_file(text, name, True, cache) for name, text in builtin_rule_files()]
    for directory in user_dirs:
        specs.extend(_load_file(text, name, False) for name, text in user_rule_files(directory))
    seen: dict[str, str] = {}
    for spec in specs:
        for key in (spec.id, spec.code):
            if key in seen:
                raise RuleFileError(f"{spec.path}: {key!r} is already used by {seen[key]}")
            seen[key] = spec.path
        expected = Path(spec.path).stem
        if spec.builtin and expected != spec.id:
            raise RuleFileError(f"{spec.path}: id: must match the file name ({expected!r})")
    rules = (compile_rule(s, envs, check_builtin or not s.builtin, translated=s.builtin) for s in specs)
    return RuleSet(rules, envs)
