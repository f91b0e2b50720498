"""When a `mode tcp` frontend chooses its backend: as the connection opens, or once the request is in.

A frontend in `mode tcp` evaluates its `use_backend` rules as soon as the connection is accepted,
on whatever the client has sent by then, unless `tcp-request inspect-delay` and a `tcp-request
content` rule whose condition reads the request (`accept if HTTP`, `{ req_len gt 0 }`) make it wait.
Measured on HAProxy 2.6.12 with `use_backend ws if { path_beg /ws }`: without inspect-delay 4 of 15
handshakes sent at once reached `ws`, none sent 50 ms after connecting; with inspect-delay alone 10
of 15 and none; with `tcp-request content accept if HTTP` every one. A rule that tests the request
(a path, a header) is then decided on an empty buffer: its tests find nothing.
"""

from __future__ import annotations

from wslint.haproxy.acl import PREDEFINED, REQUEST_ACLS, Condition, ConditionError, condition_start, parse_condition
from wslint.haproxy.proxies import Proxy
from wslint.haproxy.samples import needs_request

# the rule whose condition holds once the request has arrived: what HAProxy's manual recommends
WAIT_RULES = ("tcp-request inspect-delay 5s", "tcp-request content accept if HTTP")


def reads_request(proxy: Proxy, cond: Condition | None) -> bool:
    """Whether a condition tests the request itself (a path, a header, the HTTP protocol)."""
    if cond is None:
        return False
    for term in cond.terms():
        if isinstance(term.ref, str):
            if term.ref in REQUEST_ACLS or term.ref == "WAIT_END":
                return True
            tests = proxy.acls.acls.get(term.ref, [])
        else:
            tests = [term.ref]
        if any(t.expr is not None and needs_request(t.expr.fetch.name) for t in tests):
            return True
    return False


def switches_mode(proxy: Proxy) -> bool:
    """`tcp-request content switch-mode http`: the frontend turns HTTP, which wslint does not follow."""
    return any(len(st.args) >= 2 and st.args[1] == "switch-mode" for st in proxy.tcp_content)


def waits_for_request(proxy: Proxy) -> bool | None:
    """Whether the frontend waits for the request before its rules decide (None: wslint cannot tell)."""
    if proxy.inspect_delay is None:
        return False
    unknown = False
    for st in proxy.tcp_content:
        start = condition_start(st, 2)
        if start is None:
            continue
        try:
            cond = parse_condition(st, start)
        except ConditionError:
            unknown = True
            continue
        if reads_request(proxy, cond):
            return True
        if any(
            isinstance(t.ref, str) and t.ref not in proxy.acls.acls and t.ref not in PREDEFINED for t in cond.terms()
        ):
            unknown = True
    return None if unknown else False
