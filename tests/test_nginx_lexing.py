"""The scan's statements against crossplane's: a file is lexed once, so the two must read it alike.

Where the scan gives statements (no lexical problem, nothing crossplane reads its own way), they
must be exactly crossplane's parse of the same text, and crossplane must find no problem in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import SETTINGS, mutate
from wslint.nginx import crossplane_adapter as cp
from wslint.nginx.positions import scan

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "nginx").rglob("*.conf"))
TEXTS = [p.read_text() for p in FIXTURES]
ALPHABET = [*"{};\"'#$\\() \n\tabc/=~", "if", "location", '"a b"', "'x\\'y'", '"\\"q\\""', "# note\n", "\\;"]


def _agree(text: str) -> bool:
    """Whether the scan gave statements (then they are checked against crossplane's)."""
    scanned = scan(text)
    if scanned.statements is None:
        return False
    assert scanned.problem is None and not scanned.literal_braces
    statements, problems = cp.parse_text(text)
    assert problems == ()
    assert scanned.statements == statements
    return True


def test_fixtures_are_read_as_crossplane_reads_them() -> None:
    read = [p.name for p, text in zip(FIXTURES, TEXTS, strict=True) if _agree(text)]
    # almost every fixture is plain nginx text that needs no second lexing pass
    assert len(read) >= len(FIXTURES) * 9 // 10


@pytest.mark.parametrize(
    "text",
    [
        'add_header X "a \\"b\\" \\n c";\n',
        "add_header X 'it\\'s' \"it\\'s\";\n",
        '"proxy_pass" http://a;\n',
        "location /ws { # opens\n  proxy_pass http://a; # after\n}\n",
        "proxy_set_header Upgrade # inside\n  $http_upgrade;\n",
        "location /a # inside the block's arguments\n { return 200; }\n",
        "if ($http_upgrade = '') { return 404; }\n",
        "if ( $x ) { return 404; }\n",
        'if ($a ~ "b") { return 404; }\n',
        "if () { return 404; }\n",
        "set $a \\;b;\n",
        "return 200;\\\nreturn 201;\n",
        "return 200 a#b;\n# last line without a newline",
        "map $a $b {\n  '' close;\n  default upgrade;\n}\n",
        'add_header X "two\nlines";\n',
    ],
)
def test_quotes_comments_and_if_are_read_as_crossplane_reads_them(text: str) -> None:
    assert _agree(text)


@pytest.mark.parametrize(
    "text",
    [
        "set $a ${b};\n",
        "content_by_lua_block { ngx.say('}') }\n",
        "return 200 x;\r\n",
        "# a comment with a \\\nreturn 200;\n",
        "location /a { return 200 a}b; }\n",
        "return 200",
    ],
)
def test_what_crossplane_reads_its_own_way_is_left_to_crossplane(text: str) -> None:
    assert scan(text).statements is None


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(TEXTS)), ALPHABET)


@SETTINGS
@given(mutated())
def test_mutated_fixtures_are_read_as_crossplane_reads_them(text: str) -> None:
    _agree(text)
