"""How users name rules: an id, a code or a code prefix (WS1), in any case.

One definition for every place a rule is named: --select/--ignore, the
configuration's select/ignore/severity/per-path-ignores, inline suppressions
and `wslint explain`. `ws103`, `WS103` and `Upgrade-Header-Not-Forwarded` are
all accepted; a code prefix is letters and at most two digits (WS, WS1).
"""

from __future__ import annotations

import re

CODE_PREFIX = re.compile(r"^[a-z]{2,5}[0-9]{0,2}$")


def normal(key: str) -> str:
    return key.strip().lower()


def names(key: str, rule_id: str, code: str) -> bool:
    """Whether `key` names the rule with this id and code."""
    k = normal(key)
    if k in (rule_id, code.lower()):
        return True
    return bool(CODE_PREFIX.match(k)) and code.lower().startswith(k)


def names_exactly(key: str, rule_id: str, code: str) -> bool:
    """An id or a whole code (no prefix): severity overrides and `wslint explain`."""
    return normal(key) in (rule_id, code.lower())
