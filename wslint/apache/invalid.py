"""Directives httpd refuses ("Invalid command ..."): it then does not start at all.

A directive is refused when no loaded module defines it. That is certain for
the modules httpd ships (their directives are in `known`) when the
configuration's LoadModule lines are all visible; for directives of no
shipped module it is certain only when every loaded module is a shipped one
(a third-party module may define anything). A few directives exist only in
httpd's development branch and are refused by every 2.4 release.
"""

from __future__ import annotations

from wslint.apache.known import BUILTIN_MODULES, MODULE_DIRECTIVES
from wslint.apache.loader import Loaded, is_known, module_of
from wslint.apache.parser import Node
from wslint.model import MisplacedDirective, Snippet

SHIPPED_MODULES = frozenset(MODULE_DIRECTIVES.values()) | BUILTIN_MODULES

# documented for httpd's trunk (2.5) only; 2.4.71 with mod_proxy_wstunnel loaded refuses them
NOT_IN_24 = {
    "proxywebsocketidletimeout": "In 2.4 the tunnel's idle limit is the larger of Timeout and ProxyTimeout",
    "proxywebsocketasync": "2.4 has no asynchronous WebSocket tunnel setting",
    "proxywebsocketasyncdelay": "2.4 has no asynchronous WebSocket tunnel setting",
}


def _walk(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for n in nodes:
        out.append(n)
        if n.children:
            out.extend(_walk(n.children))
    return out


def invalid_commands(loaded: Loaded) -> list[MisplacedDirective]:
    out: list[MisplacedDirective] = []
    modules = loaded.modules
    third_party = modules is not None and any(m not in SHIPPED_MODULES for m in modules)
    for n in _walk(loaded.nodes):
        name = ("<" + n.name) if n.is_section else n.name
        key = n.key
        if key in NOT_IN_24:
            snippet = _snippet(n)
            replacement = None
            action = "delete"
            if key == "proxywebsocketidletimeout" and n.args:
                replacement, action = f"ProxyTimeout {n.args[0]}", "replace"
            out.append(
                MisplacedDirective(
                    snippet,
                    (),
                    None,
                    None,
                    reason=NOT_IN_24[key],
                    replacement=replacement,
                    replace_action=action,
                )
            )
            continue
        if modules is None:
            continue
        module = module_of(name)
        if module is not None and module not in modules and module not in BUILTIN_MODULES:
            snippet = _snippet(n)
            line = f"LoadModule {module} {loaded.module_dir}mod_{module[: -len('_module')]}.so"
            out.append(
                MisplacedDirective(
                    snippet,
                    (),
                    None,
                    None,
                    reason=f"it is defined by {module}, which this configuration does not load",
                    replacement=line,
                    replace_action="load",
                    anchor=loaded.load_anchor,
                )
            )
        elif module is None and not is_known(name) and not third_party:
            out.append(
                MisplacedDirective(
                    _snippet(n),
                    (),
                    None,
                    None,
                    reason="no module of httpd 2.4 defines it (a typo?)",
                    replace_action="explain",
                )
            )
    return out


def _snippet(n: Node) -> Snippet:
    """The directive as a finding shows it (made only for the few that are misplaced)."""
    return Snippet(n.name, n.args, n.text, n.source, tuple(p.key for p in _parents(n)))


def _parents(n: Node) -> list[Node]:
    out: list[Node] = []
    p = n.parent
    while p is not None:
        out.insert(0, p)
        p = p.parent
    return out
