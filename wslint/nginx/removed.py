"""Directives an older nginx had and the modelled version refuses (WS603, removed-keyword).

nginx 1.25.1 removed `ssl on|off` (deprecated since 1.15.0 in favour of `listen ... ssl`), 1.19.7 the
`spdy_*` directives the http2 module still accepted with a warning; the versions come from the directive
table (directive_corrections.HISTORY). A configuration that uses one is refused whole ("unknown
directive"): the rule names the line and, where the replacement is mechanical, writes it.
"""

from __future__ import annotations

from wslint.model import MisplacedDirective
from wslint.nginx import directive_table
from wslint.nginx.contexts import OPAQUE_BLOCKS
from wslint.nginx.directive_form import Version
from wslint.nginx.tree import Directive

_VALUE_BLOCKS = OPAQUE_BLOCKS - {"mail", "stream"}


def removed_directive(d: Directive, version: Version) -> MisplacedDirective | None:
    """The removed-keyword finding's subject for `d`, when `version` no longer has the directive."""
    # the table first: it answers None for nearly every directive, before its context is looked at
    since = directive_table.removed_in(d.name, version)
    if since is None:
        return None
    if any(part in _VALUE_BLOCKS for part in d.context):
        # an entry of a map, types or geo block is a value, not a directive
        return None
    removed = directive_table.version_text(since)
    if d.name == "ssl":
        return _ssl(d, removed)
    return MisplacedDirective(
        d.snippet(),
        (),
        None,
        None,
        removed_in=removed,
        reason="the SPDY module was superseded by HTTP/2, which does not read it",
        replace_action="delete",
    )


def _ssl(d: Directive, removed: str) -> MisplacedDirective:
    """`ssl on` moves to the `ssl` parameter of the server's one `listen`; `ssl off` is the default."""
    advice = 'use the "ssl" parameter of "listen" instead'
    base = MisplacedDirective(d.snippet(), (), None, None, removed_in=removed, reason=advice)
    if d.args and d.args[0].lower() == "off":
        return _with(base, "delete", None, None, 'remove it: without "listen ... ssl" the server is plain HTTP')
    server = d.parent
    listens = [x for x in server.iter("listen") if x.args] if server is not None else []
    plain = [x for x in listens if "ssl" not in x.args[1:]]
    if listens and not plain:
        return _with(base, "delete", None, None, 'remove it: every "listen" of the server already says "ssl"')
    if len(plain) != 1:
        return _with(base, "explain", None, None, advice + " (on each listen that serves TLS)")
    listen = plain[0]
    text = "listen " + " ".join((listen.args[0], "ssl", *listen.args[1:])) + ";"
    return _with(base, "move", text, listen, advice)


def _with(
    base: MisplacedDirective, action: str, text: str | None, anchor: Directive | None, why: str
) -> MisplacedDirective:
    return MisplacedDirective(
        base.snippet,
        (),
        None,
        None,
        removed_in=base.removed_in,
        reason=why,
        replacement=text,
        replace_action=action,
        anchor=anchor.source if anchor is not None else None,
    )
