"""What the shipped rules' translated expressions and templates call: Jinja's semantics without Jinja.

The shipped rules are wslint's own code, so they need no sandbox, and
importing Jinja cost more than linting a small file. native.py translates
their expressions and templates to Python once (kept in the code cache);
the code it writes calls these helpers, which behave as Jinja's environment
does with StrictUndefined for the values a rule meets: an attribute falls
back to an item and an item to an attribute, a missing value is `MISSING`
(usable by `is defined`, `default` and `is none` alone), and the filters and
tests are Jinja's built-in ones of the same names. A user's rule still runs
in the sandbox (sandbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

from wslint.durations import format_duration
from wslint.engine.filters import plural, quote_nginx, ws_url


class UndefinedValue(Exception):
    """A rule used a value that does not exist (Jinja's UndefinedError under StrictUndefined)."""


class Undefined:
    """A value that does not exist: getting anything from it, calling it or computing with it raises."""

    __slots__ = ("_why",)

    def __init__(self, why: str = "a value is undefined") -> None:
        self._why = why

    def _fail(self, *args: object, **kwargs: object) -> NoReturn:
        raise UndefinedValue(self._why)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        self._fail()

    __call__ = __getitem__ = __contains__ = __lt__ = __le__ = __gt__ = __ge__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __mod__ = _fail

    def __repr__(self) -> str:
        return "Undefined"


class Missing(Undefined):
    """What StrictUndefined is: writing it, its truth, iterating or comparing it raise too (tests may ask)."""

    __slots__ = ()
    __str__ = __bool__ = __iter__ = __len__ = __eq__ = __ne__ = Undefined._fail
    __hash__ = None  # type: ignore[assignment]


# the names Jinja's environment provides to every template (the ones rules may use)
_GLOBALS: dict[str, Any] = {"range": range, "dict": dict}


def unknown(name: str) -> Any:
    """A name the context does not have: a global, else missing."""
    if name in _GLOBALS:
        return _GLOBALS[name]
    return Missing(f"{name!r} is undefined")


def attr(obj: Any, name: str) -> Any:
    """`obj.name`: the attribute, else the item, else missing."""
    try:
        return getattr(obj, name)
    except AttributeError:
        try:
            return obj[name]
        except (TypeError, LookupError):
            return Missing(f"{type(obj).__name__} has no attribute {name!r}")


def item(obj: Any, key: Any) -> Any:
    """`obj[key]`: the item, else (for a string key) the attribute, else missing."""
    try:
        return obj[key]
    except (TypeError, LookupError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return Missing(f"{type(obj).__name__} has no item {key!r}")


def text(value: Any) -> str:
    """What `{{ value }}` writes."""
    return value if isinstance(value, str) else str(value)


def concat(*values: Any) -> str:
    """`a ~ b`."""
    return "".join(text(v) for v in values)


class Blank(Undefined):
    """The implicit else of `value if condition`: Jinja's lenient Undefined (even under StrictUndefined),
    which writes as nothing, is false and empty, and equals only itself; any other use raises."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __ne__(self, other: object) -> bool:
        return type(self) is not type(other)

    def __hash__(self) -> int:
        return id(type(self))


def if_else(condition: Any, value: Any) -> Any:
    """`value if condition` without an else."""
    return value if condition else Blank("the inline if-expression evaluated to false and has no else")


class Loop:
    """The `loop` variable of a for loop (the attributes rules use)."""

    __slots__ = ("index0", "length")

    def __init__(self, index0: int, length: int) -> None:
        self.index0 = index0
        self.length = length

    @property
    def index(self) -> int:
        return self.index0 + 1

    @property
    def first(self) -> bool:
        return self.index0 == 0

    @property
    def last(self) -> bool:
        return self.index0 == self.length - 1

    @property
    def revindex(self) -> int:
        return self.length - self.index0

    @property
    def revindex0(self) -> int:
        return self.length - self.index0 - 1


# -- Jinja's built-in tests and filters, for the arguments rules give them ------------------------------


def _getter(
    attribute: Any, default: Any = None, postprocess: Callable[[Any], Any] | None = None
) -> Callable[[Any], Any]:
    """Jinja's attribute getter: dotted parts, digits as integers, looked up as items first."""
    if attribute is None:
        parts: list[Any] = []
    elif isinstance(attribute, str):
        parts = [int(p) if p.isdigit() else p for p in attribute.split(".")]
    else:
        parts = [attribute]

    def get(value: Any) -> Any:
        for part in parts:
            value = item(value, part)
            if default is not None and isinstance(value, Undefined):
                value = default
        return postprocess(value) if postprocess is not None else value

    return get


TESTS: dict[str, Callable[..., bool]] = {
    "none": lambda value: value is None,
    "defined": lambda value: not isinstance(value, Undefined),
    "undefined": lambda value: isinstance(value, Undefined),
    "string": lambda value: isinstance(value, str),
    "equalto": lambda value, other: bool(value == other),
    "eq": lambda value, other: bool(value == other),
    "==": lambda value, other: bool(value == other),
    "ne": lambda value, other: bool(value != other),
    "!=": lambda value, other: bool(value != other),
    "in": lambda value, seq: value in seq,
    "sameas": lambda value, other: value is other,
    "true": lambda value: value is True,
    "false": lambda value: value is False,
}


def _select(value: Any, args: tuple[Any, ...], keep: bool, by_attribute: bool) -> Iterator[Any]:
    if not value:
        return
    if by_attribute:
        get = _getter(args[0])
        args = args[1:]
    else:

        def get(x: Any) -> Any:
            return x

    if args:
        test = TESTS[args[0]]
        rest = args[1:]

        def check(x: Any) -> bool:
            return test(get(x), *rest)
    else:

        def check(x: Any) -> bool:
            return bool(get(x))

    for x in value:
        if check(x) is keep:
            yield x


def selectattr(value: Any, *args: Any) -> Iterator[Any]:
    return _select(value, args, True, True)


def rejectattr(value: Any, *args: Any) -> Iterator[Any]:
    return _select(value, args, False, True)


def select(value: Any, *args: Any) -> Iterator[Any]:
    return _select(value, args, True, False)


def reject(value: Any, *args: Any) -> Iterator[Any]:
    return _select(value, args, False, False)


def first(value: Iterable[Any]) -> Any:
    for x in value:
        return x
    return Missing("No first item, sequence was empty.")


def last(value: Any) -> Any:
    for x in reversed(value):
        return x
    return Missing("No last item, sequence was empty.")


def map_(value: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
    if not value:
        return
    if "attribute" in kwargs:
        get = _getter(kwargs["attribute"], kwargs.get("default"))
    else:
        name, rest = args[0], args[1:]
        func = FILTERS[name]

        def get(x: Any) -> Any:
            return func(x, *rest, **kwargs)

    for x in value:
        yield get(x)


def join(value: Iterable[Any], d: Any = "", attribute: Any = None) -> str:
    if attribute is not None:
        value = map_(value, attribute=attribute)
    return str(d).join(text(x) for x in value)


def replace(s: Any, old: Any, new: Any, count: int | None = None) -> str:
    return str(s).replace(str(old), str(new), -1 if count is None else count)


def unique(value: Iterable[Any], case_sensitive: bool = False, attribute: Any = None) -> Iterator[Any]:
    def fold(x: Any) -> Any:
        return x.lower() if isinstance(x, str) else x

    get = _getter(attribute, postprocess=None if case_sensitive else fold)
    seen = set()
    for x in value:
        key = get(x)
        if key not in seen:
            seen.add(key)
            yield x


def indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = width if isinstance(width, str) else " " * width
    lines = (str(s) + "\n").splitlines()
    if blank:
        out = ("\n" + pad).join(lines)
    else:
        out = lines[0] + "".join("\n" + (pad + line if line else line) for line in lines[1:])
    return pad + out if first else out


def default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    if isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


FILTERS: dict[str, Callable[..., Any]] = {
    "selectattr": selectattr,
    "rejectattr": rejectattr,
    "select": select,
    "reject": reject,
    "first": first,
    "last": last,
    "map": map_,
    "join": join,
    "list": list,
    "length": len,
    "count": len,
    "replace": replace,
    "unique": unique,
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "string": text,
    "indent": indent,
    "default": default,
    "d": default,
    "duration": format_duration,
    "plural": plural,
    "quote_nginx": quote_nginx,
    "ws_url": ws_url,
}
