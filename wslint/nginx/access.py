"""What the access phase and `proxy_method` leave unknown about a handshake.

nginx runs the access phase (ngx_http_access_module, auth_basic, auth_request,
`limit_except`) after a location is chosen and before its content handler. Its
answer depends on the client's address, its credentials or an authorization
subrequest, none of which wslint sees, so a location guarded that way gets an
uncertain verdict, as a condition on the client does, instead of a guessed
"upgraded". `proxy_method` replaces the GET of the handshake, and whether the
backend still upgrades is the backend's business.
"""

from __future__ import annotations

from wslint.nginx.tree import Directive

ADDRESS_RULES = ("allow", "deny")


def _nearest_level(block: Directive | None, names: tuple[str, ...]) -> list[Directive]:
    """The directives of the innermost level that has any of `names` (an inner level replaces the outer set)."""
    while block is not None:
        found = [c for c in block.children or () if c.name in names]
        if found:
            return found
        block = block.parent
    return []


def _nearest(block: Directive | None, name: str) -> Directive | None:
    level = _nearest_level(block, (name,))
    return level[-1] if level else None


def access_unknowns(location: Directive) -> list[str]:
    """Why the access phase's answer to a GET handshake in `location` is unknown (empty: it lets it through)."""
    reasons: list[str] = []
    rules = _nearest_level(location, ADDRESS_RULES)
    if rules and not (rules[0].name == "allow" and rules[0].args == ("all",)):
        reasons.append(f"whether the client's address passes `{rules[0].name}` at {rules[0].source}")
    for name, what in (("auth_basic", "the client's credentials pass"), ("auth_request", "the subrequest allows")):
        d = _nearest(location, name)
        if d is not None and d.args and d.args[0] != "off":
            reasons.append(f"whether {what} the handshake (`{name}` at {d.source})")
    for limit in location.iter("limit_except"):
        # `limit_except GET` also allows HEAD; the handshake is a GET, so only other lists restrict it
        if "GET" not in (a.upper() for a in limit.args):
            reasons.append(f"whether a GET passes the access rules of `limit_except` at {limit.source}")
    return reasons


def method_unknown(location: Directive) -> str | None:
    """Why the backend's answer is unknown when `proxy_method` sends it something other than GET."""
    d = _nearest(location, "proxy_method")
    if d is None or not d.args or d.args[0].upper() == "GET":
        return None
    return f"whether the backend upgrades a {d.args[0]} handshake (`proxy_method` at {d.source})"
