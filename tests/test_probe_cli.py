"""`wslint probe` without a proxy: compressed messages, bounded waits, and clear errors (all on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from typer.testing import CliRunner
from websockets.sync.server import ServerConnection, serve

from tests.e2e.backends import Backend
from tests.e2e.proxies import free_port
from wslint.cli import app


def probe(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["probe", *args], catch_exceptions=False)
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, doc, result.stdout + result.stderr


@contextmanager
def websocket_server(handler: Callable[[ServerConnection], None], compression: str | None) -> Iterator[int]:
    with serve(handler, "127.0.0.1", 0, compression=compression) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()
            thread.join(5)


@contextmanager
def plain_http_server() -> Iterator[int]:
    """Answers anything with an HTTP 400, as a plain-HTTP port answers a TLS ClientHello."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(5)

    def serve_one() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(5)


@pytest.mark.parametrize("compression", ["deflate", None])
def test_the_echo_is_read_with_and_without_permessage_deflate(compression: str | None) -> None:
    with Backend(compression=compression) as echo:
        code, doc, raw = probe(f"ws://127.0.0.1:{echo.port}/ws", "--message", "hello é😀" * 40, "--format", "json")
    assert code == 0, raw
    for a in doc["attempts"]:
        assert a["echo"] is True and a["echo_detail"] is None, a
        assert (a["compression"] or "").startswith("permessage-deflate") == (compression is not None)


def test_no_echo_is_reported_within_the_timeout() -> None:
    def silent(ws: ServerConnection) -> None:
        for _ in ws:
            pass

    with websocket_server(silent, "deflate") as port:
        code, doc, raw = probe(
            f"ws://127.0.0.1:{port}/ws", "--message", "hello", "--timeout", "0.5", "--format", "json"
        )
        text = (
            CliRunner()
            .invoke(
                app,
                ["probe", f"ws://127.0.0.1:{port}/ws", "--message", "hello", "--timeout", "0.5", "--browser", "chrome"],
            )
            .stdout
        )
    assert code == 1, raw
    for a in doc["attempts"]:
        assert (a["status"], a["pong"], a["echo"], a["ok"]) == (101, True, False, False)
        assert a["echo_detail"] == "the message did not come back within 0.5s"
    assert doc["diagnosis"] == ["101, but the message was not echoed: the message did not come back within 0.5s"]
    assert "pong, no echo (the message did not come back within 0.5s)" in text


def test_a_different_answer_is_shown() -> None:
    def shout(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(str(message).upper())

    with websocket_server(shout, "deflate") as port:
        _, doc, _ = probe(f"ws://127.0.0.1:{port}/ws", "--message", "hello", "--timeout", "0.5", "--format", "json")
    assert {a["echo_detail"] for a in doc["attempts"]} == {
        "the message did not come back within 0.5s (it sent 'HELLO' instead)"
    }


def test_a_missing_config_is_a_clear_error_before_any_handshake() -> None:
    closed = free_port()
    code, _, out = probe(f"ws://127.0.0.1:{closed}/ws", "--config", "nope.conf")
    assert code == 2
    assert out == "wslint: error: --config nope.conf: no such file or directory\n"


def test_a_broken_config_names_its_file_and_line(tmp_path: Any) -> None:
    broken = tmp_path / "site.conf"
    broken.write_text("server {\n    listen 80;\n    location / {\n")
    closed = free_port()
    code, _, out = probe(f"ws://127.0.0.1:{closed}/ws", "--config", str(broken))
    assert code == 2
    assert out.startswith(f"wslint: error: {broken}:") and "None" not in out


def test_wss_to_a_plain_http_port_says_so_and_does_not_suggest_insecure() -> None:
    with plain_http_server() as port:
        code, _, out = probe(f"wss://127.0.0.1:{port}/ws", "--browser", "chrome")
    assert code == 2
    assert f"TLS handshake with 127.0.0.1:{port} failed: it answered without TLS" in out
    assert "use ws://" in out and "--insecure" not in out
