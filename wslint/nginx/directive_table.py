"""The directives nginx knows, by version: crossplane's table corrected for the Debian build.

wslint models nginx as Debian builds it (the 1.22 package's configure line)
with the dynamic modules Debian ships loaded: a directive of one of those
modules is known even when the configuration does not load the module,
because other builds compile the same modules in. Versions before 1.18.0 are
read as 1.18.0, versions after 1.31.4 as 1.31.4.
"""

from __future__ import annotations

import functools

from wslint.nginx import crossplane_adapter as cp
from wslint.nginx.directive_corrections import CORRECTED, HISTORY, NOT_IN_BUILD
from wslint.nginx.directive_form import Form, Version, form

# The dynamic modules of Debian's nginx build (/usr/lib/nginx/modules): a `load_module` of any
# other file brings directives wslint does not know.
DEBIAN_MODULES = frozenset(
    {
        "ngx_http_geoip_module.so",
        "ngx_http_image_filter_module.so",
        "ngx_http_perl_module.so",
        "ngx_http_xslt_filter_module.so",
        "ngx_mail_module.so",
        "ngx_stream_module.so",
        "ngx_stream_geoip_module.so",
    }
)

# Blocks read by their module's own handler (ngx_conf_t.handler): their lines are entries, not
# directives, and a block inside them is refused with `unexpected "{"`.
OPAQUE_BLOCKS = {
    "http": frozenset({"types", "map", "geo", "split_clients", "charset_map"}),
    "stream": frozenset({"map", "geo", "split_clients"}),
}


@functools.cache
def _base(name: str) -> tuple[Form, ...] | None:
    """`name`'s forms in the Debian 1.22.1 build (worked out per name: a run meets a few dozen of the ~750)."""
    if name in CORRECTED:
        return CORRECTED[name]
    if name in NOT_IN_BUILD:
        return None
    known = cp.directive_forms(name)
    return None if known is None else tuple(form(ctx, args, block) for ctx, args, block in known)


def forms(name: str, version: Version) -> tuple[Form, ...] | None:
    """The forms nginx `version` accepts for `name`, or None when it has no such directive."""
    history = HISTORY.get(name)
    if history is None:
        return _base(name)
    current = history[0][1]
    for since, then in history:
        if version >= since:
            current = then
    return current


def other_version_note(name: str, version: Version) -> str | None:
    """For a directive `version` does not have: the versions that do, in words."""
    history = HISTORY.get(name)
    if history is None:
        return None
    added = next((since for since, then in history if then is not None and since > version), None)
    if added is not None:
        return f"it appeared in nginx {_text(added)}"
    removed = removed_in(name, version)
    if removed is not None:
        return f"it was removed in nginx {_text(removed)}"
    return None


def removed_in(name: str, version: Version) -> Version | None:
    """The version that removed `name`, when `version` is that one or later (an older nginx had it)."""
    history = HISTORY.get(name)
    if history is None or forms(name, version) is not None:
        return None
    removed = next((since for since, then in reversed(history) if then is None and since <= version), None)
    return removed if removed is not None and removed > history[0][0] else None


def version_text(version: Version) -> str:
    return _text(version)


def names(version: Version) -> set[str]:
    """Every directive name nginx `version` knows."""
    out = {n for n in (*cp.directive_names(), *CORRECTED) if n not in HISTORY and _base(n) is not None}
    out |= {n for n in HISTORY if forms(n, version) is not None}
    return out


def _text(version: Version) -> str:
    return ".".join(str(p) for p in version)
