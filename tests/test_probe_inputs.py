"""`wslint probe` refuses request text it cannot send as it is (a CR or LF would inject a header, a
character outside Latin-1 has no byte), and --timeout bounds a whole answer: a server that sends a
byte every 0.3 s cannot hold it. The servers here listen on 127.0.0.1 and stop by themselves."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from typer.testing import CliRunner

from wslint.cli import app


def _probe(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["probe", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--header", "X-A: b\r\nInjected: yes"), "--header: 'b\\r\\nInjected: yes' has '\\r' at position 1"),
        (("--header", "X-A: b\nInjected: yes"), "a request cannot carry it (a CR or LF would start a header"),
        (("--header", "X-A\r\nB: c"), "--header needs 'Name: value' with a name of letters"),
        (
            ("--header", "X-A: caf\u00e9 \u2603"),
            "--header: 'caf\u00e9 \u2603' has '\u2603', which HTTP/1.1 cannot send",
        ),
        (("--origin", "http://a.test\r\nX: y"), "--origin: 'http://a.test\\r\\nX: y' has '\\r'"),
        (("--origin", "http://\u00fcber.test"), "--origin: 'http://\u00fcber.test' has '\u00fc'"),
    ],
    ids=["crlf-value", "lf-value", "crlf-name", "non-latin-1", "crlf-origin", "non-ascii-origin"],
)
def test_request_text_that_cannot_be_sent_is_refused(args: tuple[str, ...], message: str) -> None:
    code, out = _probe("ws://127.0.0.1:9/ws", *args)
    assert code == 2 and message in out and "internal error" not in out


@pytest.mark.parametrize(
    "url",
    [
        "ws://127.0.0.1:9/ws\r\nX-Injected: 1",
        "ws://127.0.0.1:9/ws chat",
        "ws://\u043f\u0440\u0438\u043c\u0435\u0440.test/ws",
    ],
)
def test_a_url_that_cannot_go_into_the_request_line_is_refused(url: str) -> None:
    code, out = _probe(url)
    assert code == 2 and out.startswith("wslint: error: URL: ") and "internal error" not in out


@contextmanager
def trickling_server(seconds: float) -> Iterator[int]:
    """Sends every connection one byte of a never-ending response head each 0.3 s, for `seconds`."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = time.monotonic() + seconds
    done = threading.Event()

    def serve() -> None:
        conns: list[socket.socket] = []
        while not done.is_set() and time.monotonic() < stop:
            try:
                conn, _ = server.accept()
                conns.append(conn)
            except TimeoutError:
                pass
            for c in conns:
                with suppress(OSError):
                    c.send(b"H")
            time.sleep(0.3)
        for c in conns:
            c.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        done.set()
        thread.join(5)
        server.close()


def test_timeout_bounds_the_whole_answer_not_each_byte() -> None:
    with trickling_server(60) as port:
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "wslint",
                "probe",
                f"ws://127.0.0.1:{port}/ws",
                "--browser",
                "chrome",
                "--timeout",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert "no complete answer within 1s" in res.stdout, res.stdout + res.stderr
    assert res.returncode == 1
