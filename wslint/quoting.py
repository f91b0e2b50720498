"""What a diagnostic may quote from a file the user did not name.

An include or import can pull in any file the runner can read (`import
/run/secrets/db.env`, `include /etc/app/.env;`), and the message about its
first line would quote that line: `unrecognized directive: DB_PASSWORD=...`.
Such messages end up in SARIF and pull-request annotations, where anyone
reading the pull request sees them. So a word from an included file is quoted
only when it is, or nearly is, a name the proxy knows (a misspelt directive
is what the reader needs to see); anything else is shown by its length.
The files the user named are quoted as they are: their text is theirs.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_QUOTED = re.compile(r'"([^"]*)"')


def masked(word: str) -> str:
    return f"<{len(word)} characters not shown>"


def quotable(word: str, names: Collection[str]) -> bool:
    """A word of an included file that a message may show: punctuation, a known name or one close to it."""
    if len(word) <= 1 or word in names:
        return True
    if len(word) > 64:
        return False
    import difflib

    return bool(difflib.get_close_matches(word, names, n=1, cutoff=0.8))


def mask_word(message: str, word: str, names: Collection[str]) -> str:
    """`message` with `word` (a token of an included file) shown only when it is quotable."""
    if not word or quotable(word, names):
        return message
    return message.replace(word, masked(word))


def mask_quoted(message: str, names: Collection[str]) -> str:
    """`message` with each "double-quoted" word of an included file shown only when it is quotable."""
    return _QUOTED.sub(lambda m: m.group(0) if quotable(m.group(1), names) else f'"{masked(m.group(1))}"', message)
