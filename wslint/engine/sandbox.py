"""The Jinja environment rules run in.

Conditions, messages and fix templates come from rule files, which users can
write: they run in Jinja's immutable sandbox (no attribute starting with `_`,
no mutation of lists or dicts) with StrictUndefined, so a misspelled name is an
error instead of an empty string. Values taken from configurations are passed
as data and never compiled as templates: `{{ x }}` inside a config comes out
verbatim.

The sandbox bounds what one expression can build: `range()` at 100,000 items
(Jinja's own cap), and here `**` and `*`, which could make a number of a
billion digits or a string of gigabytes in one C call that no timer
interrupts. How long a rule may loop is the time budget's business (budget.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wslint.durations import format_duration
from wslint.engine.codecache import CodeCache
from wslint.engine.filters import plural, quote_nginx, ws_url

# the largest value `*` and `**` may make in a rule: a string or list of this many items, an integer of
# this many bits
MAX_PRODUCT = 1_000_000


class RuleEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, remembering its verdicts.

    Whether an attribute is safe depends only on the object's type and the
    attribute's name (private names, function internals, mutating methods),
    so each verdict is computed once: the checks dominated rule evaluation on
    large configurations. The verdicts themselves are the sandbox's own.
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        big_power = isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0
        if operator == "**" and big_power and right * abs(left).bit_length() > MAX_PRODUCT:
            raise SecurityError(f"{left} ** {right} is larger than a rule may compute")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * count > MAX_PRODUCT:
                    raise SecurityError(f"a sequence of {len(seq) * count} items is larger than a rule may build")
        return super().call_binop(context, operator, left, right)

    def __init__(self, code_cache: CodeCache | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._verdicts: dict[tuple[type, str], bool] = {}
        self._code_cache = code_cache

    def template(self, source: str) -> Template:
        """`from_string`, through the compiled-code cache when there is one."""
        cache = self._code_cache
        if cache is None:
            return self.from_string(source)
        code = cache.load(source)
        if code is None:
            code = self.compile(source)
            cache.store(source, code)
        return self.template_class.from_code(self, code, self.make_globals(None))

    def expression(self, source: str) -> Callable[..., Any]:
        """`compile_expression(source, undefined_to_none=False)`, through the compiled-code cache when there
        is one: the same template Jinja builds for an expression (`result` assigned the parsed expression)."""
        cache = self._code_cache
        if cache is None:
            return self.compile_expression(source, undefined_to_none=False)
        code = cache.load(source, "expr")
        if code is None:
            parser = Parser(self, source, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                # what compile_expression says of `a b`
                raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
            tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
            code = self.compile(tree)
            cache.store(source, code, "expr")
        template = self.template_class.from_code(self, code, self.make_globals(None))
        return TemplateExpression(template, undefined_to_none=False)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = super().is_safe_attribute(obj, attr, value)
            self._verdicts[key] = verdict
        return verdict


def make_environment(code_cache: CodeCache | None = None) -> RuleEnvironment:
    env = RuleEnvironment(
        code_cache=code_cache,
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["duration"] = format_duration
    env.filters["plural"] = plural
    env.filters["quote_nginx"] = quote_nginx
    env.filters["ws_url"] = ws_url
    return env
