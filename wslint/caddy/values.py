"""What a directive's parser produces (Caddy's ConfigValues) and the helpers every parser shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wslint.caddy.config import (
    Handler,
    MatcherSet,
    Route,
)
from wslint.caddy.lexer import Token
from wslint.caddy.matchers import matcher_token
from wslint.caddy.parser import CaddyfileError, Node
from wslint.durations import bounded_seconds, parse_duration
from wslint.model import Source


@dataclass
class ConfigValue:
    cls: str
    value: Any
    directive: str = ""


@dataclass
class NotYet:
    """A keyword the assumed Caddy version does not know: Caddy refuses the configuration."""

    keyword: str
    since: tuple[int, ...]
    source: Source
    node: Node


class GroupCounter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        name = f"group{self.n}"
        self.n += 1
        return name


@dataclass
class Ctx:
    version: tuple[int, ...]
    order: list[str]
    groups: GroupCounter
    texts: dict[str, str]
    # keywords of later versions, collected for the rules
    not_yet: list[NotYet] = field(default_factory=list)
    # notes about assumptions (a plugin directive passed through)
    notes: list[tuple[str, Source]] = field(default_factory=list)


def normalize(directive: str) -> str:
    # handle_path sorts and groups as handle (caddyserver/caddy#3675)
    return "handle" if directive == "handle_path" else directive


# -- helpers ---------------------------------------------------------------------------------------


def split_matcher(node: Node, defs: dict[str, MatcherSet]) -> tuple[list[MatcherSet], list[Token]]:
    """A handler directive's optional matcher token, and its remaining arguments."""
    args = node.arg_tokens
    if args:
        is_matcher, ms = matcher_token(args[0], defs)
        if is_matcher:
            return ([ms] if ms is not None else []), args[1:]
    return [], args


def route_value(node: Node, sets: list[MatcherSet], *handlers: Handler) -> ConfigValue:
    return ConfigValue("route", Route(match=sets, handlers=list(handlers), source=node.source))


def arg_err(node: Node, tok: Token | None = None) -> CaddyfileError:
    return CaddyfileError(f"wrong argument count or unexpected line ending after '{node.name}'", tok or node.head)


def no_block(node: Node) -> None:
    if node.children:
        raise CaddyfileError(f"{node.name}: unexpected block", node.open or node.head)


def duration(text: str, where: Token) -> float:
    seconds = parse_duration(text)
    if seconds is None:
        try:
            seconds = bounded_seconds(float(text)) if len(text) <= 64 else None
        except ValueError:
            seconds = None
        if seconds is None:
            raise CaddyfileError(f"bad duration value '{text}'", where) from None
    return seconds


def ns(seconds: float) -> int:
    return round(seconds * 1e9)


# -- directives --------------------------------------------------------------------------------
