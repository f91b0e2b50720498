"""wslint's own filters for rule templates (Jinja-free: the sandbox and the translated shipped rules share them)."""

from __future__ import annotations

from typing import Any


def plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def ws_url(value: Any) -> str:
    """The WebSocket URL a client opens to reach an http(s) URL (a redirect's Location): ws://, wss://."""
    text = str(value)
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if text[: len(http)].lower() == http:
            return ws + text[len(http) :]
    return text


def quote_nginx(value: Any) -> str:
    """An nginx argument, quoted when it would not survive as a bare word."""
    text = str(value)
    if text == "" or any(c.isspace() or c in "{};#'\"\\" for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
