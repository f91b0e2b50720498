"""Proxy keywords that newer HAProxy versions refuse, and what replaces them.

Old WebSocket recipes (HAProxy 1.4 to 1.8) used `option http-tunnel`,
`option forceclose`, `option http-use-htx` and the `reqadd`/`reqrep` family;
on the versions that removed them HAProxy stops with an alert and loads
nothing. Messages and versions are HAProxy's own (src/cfgparse-listen.c, the
2.6 binary's alerts, doc/configuration.txt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from wslint.haproxy.parser import Statement


@dataclass(frozen=True)
class Removed:
    # the version whose configuration parser refuses the keyword
    since: tuple[int, ...]
    # HAProxy's advice, as its alert words it
    advice: str
    # the keyword(s) to write instead, when a direct replacement exists
    instead: str | None = None


def _v(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


_REQ_RSP = {
    "reqadd": ("http-request add-header", "Use 'http-request add-header' instead."),
    "reqrep": ("http-request replace-path", "Use 'http-request replace-path', 'replace-uri' or 'replace-header'."),
    "reqirep": ("http-request replace-header", "Use 'http-request replace-header' instead."),
    "reqdel": ("http-request del-header", "Use 'http-request del-header' instead."),
    "reqidel": ("http-request del-header", "Use 'http-request del-header' instead."),
    "reqdeny": ("http-request deny", "Use 'http-request deny' instead."),
    "reqideny": ("http-request deny", "Use 'http-request deny' instead."),
    "reqallow": ("http-request allow", "Use 'http-request allow' instead."),
    "reqiallow": ("http-request allow", "Use 'http-request allow' instead."),
    "reqtarpit": ("http-request tarpit", "Use 'http-request tarpit' instead."),
    "reqitarpit": ("http-request tarpit", "Use 'http-request tarpit' instead."),
    "reqpass": (None, "Remove it."),
    "reqipass": (None, "Remove it."),
    "reqsetbe": ("use_backend", "Use 'use_backend' with a condition instead."),
    "reqisetbe": ("use_backend", "Use 'use_backend' with a condition instead."),
    "rspadd": ("http-response add-header", "Use 'http-response add-header' instead."),
    "rsprep": ("http-response replace-header", "Use 'http-response replace-header' instead."),
    "rspirep": ("http-response replace-header", "Use 'http-response replace-header' instead."),
    "rspdel": ("http-response del-header", "Use 'http-response del-header' instead."),
    "rspidel": ("http-response del-header", "Use 'http-response del-header' instead."),
    "rspdeny": ("http-response deny", "Use 'http-response deny' instead."),
    "rspideny": ("http-response deny", "Use 'http-response deny' instead."),
    "block": ("http-request deny", "Use 'http-request deny', which takes the same condition."),
    "clitimeout": ("timeout client", "Use 'timeout client'."),
    "srvtimeout": ("timeout server", "Use 'timeout server'."),
    "contimeout": ("timeout connect", "Use 'timeout connect'."),
    "redispatch": ("option redispatch", "Use 'option redispatch'."),
}

KEYWORDS: dict[str, Removed] = {
    name: Removed(_v("2.1"), advice, instead) for name, (instead, advice) in _REQ_RSP.items()
}
KEYWORDS["appsession"] = Removed(_v("1.6"), "Use stick tables or 'cookie' persistence instead.")
# "has no effect, is deprecated, and will be removed in version 2.7" (the 2.6 warning)
KEYWORDS["bind-process"] = Removed(_v("2.7"), "Remove it: threads replaced processes.")
# removed in 2.3-dev7 ("doesn't exist anymore"), in 2.5-dev1 ("not supported any more since 2.5")
KEYWORDS["monitor-net"] = Removed(
    _v("2.3"), "Use 'http-request return status 200 if { src <network> }' instead.", "http-request return"
)
KEYWORDS["grace"] = Removed(_v("2.5"), "Remove it: a stopping HAProxy no longer waits a grace time.")

# the global section's keywords (src/cfgparse-global.c)
GLOBAL_KEYWORDS: dict[str, Removed] = {
    # removed in 2.3-dev6: from then on an unknown keyword
    "debug": Removed(_v("2.3"), "Remove it: start haproxy with -d to debug."),
    "nbproc": Removed(
        _v("2.5"), "Remove it: threads are used automatically on multi-processor machines (see 'nbthread')."
    ),
    "tune.chksize": Removed(_v("2.5"), "Remove it: tune.bufsize is used instead."),
}

# `mode health`: "doesn't exist anymore" since 2.3
MODE_HEALTH = Removed(_v("2.3"), "Use 'http-request return status 200' in an HTTP frontend instead.")
# `process` on a bind line: a warning in 2.5 and 2.6, refused from 2.7 ("please use 'thread' instead")
BIND_PROCESS = Removed(_v("2.7"), "Remove 'process': threads replaced processes (use 'thread' if needed).")
# an address on the frontend or listen line, HAProxy 1.4's syntax: "please use the 'bind' keyword for
# listening addresses" since 1.6 (src/cfgparse-listen.c), and the section is not created
HEADER_ADDRESS = Removed(_v("1.6"), "Use the 'bind' keyword for listening addresses.", "bind")

OPTIONS: dict[str, Removed] = {
    # a warning (treated as httpclose) up to 2.4, refused from 2.5
    "forceclose": Removed(_v("2.5"), "Remove it (WebSockets need no close option), or use 'option httpclose'."),
    "http-tunnel": Removed(_v("2.5"), "Remove it: HTTP mode forwards WebSocket upgrades by itself."),
    # HTX is the only mode since 2.1; from 2.5 the option is unknown
    "http-use-htx": Removed(_v("2.5"), "Remove it: HTX is the only HTTP mode."),
    "http_proxy": Removed(_v("2.5"), "Use 'http-request set-dst' and 'http-request set-uri' instead."),
    # HAProxy 1.4's spelling, removed in 2.1 ("unknown option ... did you mean 'independent-streams'")
    "independant-streams": Removed(_v("2.1"), "Write it 'option independent-streams'.", "option independent-streams"),
}


FixAction = Literal["delete", "replace", "explain"]
# what a 1.4 listen line named: [host]:port[-port], several separated by commas
ADDRESS = re.compile(r"[^\s,]*:\d+(-\d+)?(,[^\s,]*:\d+(-\d+)?)*")


@dataclass(frozen=True)
class RemovedUse:
    statement: Statement
    keyword: str
    removed: Removed
    # what a fix does: delete the line, replace it with `replacement`, or only explain
    action: FixAction
    replacement: str | None = None


def _translate(st: Statement, keyword: str, removed: Removed) -> tuple[FixAction, str | None]:
    """The modern statement for the removed keywords that translate one to one."""
    args = st.args
    last = len(st.words) - 1
    if keyword in ("option forceclose", "option http-tunnel", "option http-use-htx", "bind-process"):
        return "delete", None
    if keyword in ("reqpass", "reqipass"):
        return "delete", None
    if keyword in ("clitimeout", "srvtimeout", "contimeout") and len(args) == 1:
        return "replace", f"{removed.instead} {args[0]}"
    if keyword == "redispatch" and not args:
        return "replace", "option redispatch"
    if keyword in ("grace", "nbproc", "debug", "tune.chksize"):
        return "delete", None
    if keyword == "option independant-streams" and st.keyword == "option":
        return "replace", "option independent-streams"
    if keyword == "monitor-net" and len(args) == 1:
        return "replace", f"http-request return status 200 if {{ src {args[0]} }}"
    if keyword == "bind process":
        at = st.args.index("process", 1) + 1
        base = st.source.column or 1
        kept = [st.text[w.column - base : w.end_column - base] for i, w in enumerate(st.words) if i not in (at, at + 1)]
        return "replace", " ".join(kept)
    if keyword == "block":
        return "replace", ("http-request deny " + st.span_text(1, last)) if args else "http-request deny"
    if keyword == "reqadd" and args and ":" in args[0]:
        name, _, value = args[0].partition(":")
        if name.strip() and " " not in name.strip():
            rest = f" {st.span_text(2, last)}" if len(st.words) > 2 else ""
            return "replace", f"http-request add-header {name.strip()} {_quote(value.strip())}{rest}"
    if keyword in ("reqdel", "reqidel") and len(args) == 1:
        m = re.fullmatch(r"\^([A-Za-z0-9-]+):.*", args[0])
        if m is not None:
            return "replace", f"http-request del-header {m.group(1)}"
    return "explain", None


def _quote(value: str) -> str:
    if value == "" or any(c in value for c in " \t#'\"\\%"):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'
    return value


def removed_keyword(st: Statement, version: tuple[int, ...]) -> RemovedUse | None:
    """The removed keyword this statement uses, when `version` refuses it."""
    words = st.args
    if st.keyword == "option" and words:
        name, removed = f"option {words[0]}", OPTIONS.get(words[0])
    elif st.keyword in ("no", "default") and len(words) >= 2 and words[0] == "option":
        name, removed = f"option {words[1]}", OPTIONS.get(words[1])
    elif st.keyword == "mode" and words[:1] == ("health",):
        name, removed = "mode health", MODE_HEALTH
    elif st.keyword == "bind" and "process" in words[1:-1]:
        name, removed = "bind process", BIND_PROCESS
    else:
        name, removed = st.keyword, KEYWORDS.get(st.keyword)
    return _use(st, name, removed, version)


def removed_global(st: Statement, version: tuple[int, ...]) -> RemovedUse | None:
    """The removed global keyword this statement of the global section uses, when `version` refuses it."""
    return _use(st, st.keyword, GLOBAL_KEYWORDS.get(st.keyword), version)


def header_address(
    header: Statement, extra: tuple[str, ...], from_name: str | None, version: tuple[int, ...]
) -> RemovedUse | None:
    """A frontend or listen line that also names an address (`frontend all 0.0.0.0:8888`)."""
    if not extra or header.keyword not in ("frontend", "listen") or version < HEADER_ADDRESS.since:
        return None
    first = f"{header.keyword} {header.args[0]}" + (f" from {from_name}" if from_name else "")
    lines = [first, *(f"    bind {a}" for a in extra[0].split(","))]
    action: FixAction = "replace" if len(extra) == 1 and ADDRESS.fullmatch(extra[0]) else "explain"
    return RemovedUse(header, f"{header.keyword} <name> <address>", HEADER_ADDRESS, action, "\n".join(lines))


def _use(st: Statement, name: str, removed: Removed | None, version: tuple[int, ...]) -> RemovedUse | None:
    if removed is None or version < removed.since:
        return None
    action, replacement = _translate(st, name, removed)
    return RemovedUse(st, name, removed, action, replacement)
