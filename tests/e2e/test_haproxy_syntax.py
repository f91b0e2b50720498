"""wslint's HAProxy tokenizer against the real haproxy: the value of every word, and no continuation.

Each word is the payload of an `http-request return ... string WORD`, so haproxy
answers with the word exactly as its own parser cut it.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.proxies import ConfigRefused, free_port
from wslint.haproxy.tokenizer import tokenize

pytestmark = pytest.mark.realproxy

WORDS = [
    "\"a\"'b'c",
    r"\x41\x42",
    r"a\zb",
    r'"a\zb"',
    r'"q\"q"',
    r"a\ b",
    r"'a\ b'",
    r'"a\#b"',
    r"a\#b",
    '"a#b"',
    r'"a\\b"',
    r"a\\b",
    r"a\'b",
    r'"a\'b"',
    'a"b c"d',
    r'"\x41"',
    r"'\x41'",
    r"\$x",
    r'"\$x"',
    "'$HOME'",
    '"${WSLINT_SURELY_UNSET-fallback}"',
]

HEAD = "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"


def _body(port: int, path: str) -> bytes:
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    data = b""
    deadline = time.monotonic() + 5
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.partition(b"\r\n\r\n")[2]


def test_words_have_the_value_haproxy_gives_them(haproxy_bin: str, tmp_path: Path) -> None:
    port = free_port()
    lines = [f"frontend fe\n    bind 127.0.0.1:{port}"]
    lines += [
        f"    http-request return status 200 content-type text/plain string {w} if {{ path /{i} }}"
        for i, w in enumerate(WORDS)
    ]
    proxy = HAProxy(haproxy_bin, tmp_path, HEAD + "\n".join(lines) + "\n")
    proxy.start(port)
    try:
        real = [_body(port, f"/{i}").decode() for i in range(len(WORDS))]
    finally:
        proxy.stop()
    mine = [tokenize(f"string {w}").words[1] for w in WORDS]
    # an environment variable is left as written by wslint (the server's environment is unknown)
    assert [(m.text if not m.env else "fallback") for m in mine] == real


def test_a_hash_starts_a_comment_inside_a_word(haproxy_bin: str, tmp_path: Path) -> None:
    port = free_port()
    config = HEAD + f"frontend fe\n    bind 127.0.0.1:{port}\n"
    config += "    http-request return status 200 content-type text/plain string abc#def if { path /x }\n"
    proxy = HAProxy(haproxy_bin, tmp_path, config)
    warnings = proxy.check()
    # the condition is part of the comment: the rule became unconditional, which haproxy notes
    proxy.start(port)
    try:
        assert _body(port, "/anything") == b"abc"
    finally:
        proxy.stop()
    assert [w.text for w in tokenize(config.splitlines()[-1]).words][-1] == "abc"
    assert isinstance(warnings, str)


def test_a_backslash_does_not_continue_a_line(haproxy_bin: str, tmp_path: Path) -> None:
    config = HEAD + "frontend fe\n    bind 127.0.0.1:1\n    http-request return status 200 \\\n        string ok\n"
    with pytest.raises(ConfigRefused, match=r"found '\\'"):
        HAProxy(haproxy_bin, tmp_path, config).check()
    assert tokenize("    http-request return status 200 \\").words[-1].text == "\\"
