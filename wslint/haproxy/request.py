"""The request HAProxy works on while it processes one WebSocket handshake.

Since 2.0 (HTX) HAProxy's HTTP/1 parser cleans the `Connection` header as it
reads it: the `keep-alive` and `close` tokens are removed (a header left empty
disappears), so Firefox's `Connection: keep-alive, Upgrade` is seen by every
rule and ACL as `Upgrade`. On the way out the H1 multiplexer cleans it again:
a rule that sets `Connection: keep-alive` leaves no Connection header at all.
Both were measured on HAProxy 2.6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from wslint.clients import Client

HTX_SINCE = (2, 0)


def split_tokens(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


@lru_cache(maxsize=256)
def clean_connection(value: str) -> str:
    """A Connection value without its keep-alive and close tokens (HTX)."""
    return ", ".join(t for t in split_tokens(value) if t.lower() not in ("keep-alive", "close"))


@dataclass
class HttpRequest:
    """A request as rules see it: path and query apart, headers in order with their names as sent."""

    client: str
    # None: a path wslint does not know (a route examined without an endpoint)
    path: str | None
    # None: no query string (or, with an unknown path, an unknown one)
    query: str | None
    # a value None was set by a rule from something wslint cannot know
    headers: list[tuple[str, str | None]]
    tls: bool
    dst_port: int | None
    method: str = "GET"
    version: str = "1.1"
    # variables set by set-var rules (None: a value wslint cannot know)
    variables: dict[str, str | None] = field(default_factory=dict)
    # nothing of the request has arrived yet: a mode tcp frontend deciding as the connection opens
    before_request: bool = False

    def values(self, name: str) -> list[str] | None:
        """Every occurrence's full value, in order (None: one of them is unknown)."""
        wanted = name.lower()
        found = [v for n, v in self.headers if n.lower() == wanted]
        return None if any(v is None for v in found) else [v for v in found if v is not None]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    def remove(self, name: str) -> None:
        wanted = name.lower()
        self.headers = [(n, v) for n, v in self.headers if n.lower() != wanted]

    @property
    def url(self) -> str | None:
        if self.path is None:
            return None
        return self.path + (f"?{self.query}" if self.query is not None else "")

    def copy(self) -> HttpRequest:
        return HttpRequest(
            self.client,
            self.path,
            self.query,
            list(self.headers),
            self.tls,
            self.dst_port,
            self.method,
            self.version,
            dict(self.variables),
            self.before_request,
        )


def handshake_request(
    client: Client,
    host: str | None,
    path: str | None,
    query: str | None,
    tls: bool,
    port: int | None,
    version: tuple[int, ...],
) -> HttpRequest:
    """The handshake `client` sends, as HAProxy's parser hands it to the rules."""
    # an unknown Host is a header whose value is unknown, not a missing one
    headers: list[tuple[str, str | None]] = [("Host", host)]
    connection = client.connection if version < HTX_SINCE else clean_connection(client.connection)
    if connection:
        headers.append(("Connection", connection))
    headers += [
        ("Upgrade", client.upgrade),
        ("Origin", None if host is None else f"{'https' if tls else 'http'}://{host}"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("User-Agent", f"wslint-simulated-{client.name}"),
    ]
    return HttpRequest(client.name, path, query, headers, tls, port)


@lru_cache(maxsize=256)
def outgoing_connection(values: tuple[str, ...], version: tuple[int, ...]) -> str:
    """The Connection header the server receives for these values (empty: none is sent)."""
    tokens = [t for v in values for t in split_tokens(v)]
    if version < HTX_SINCE:
        return ", ".join(tokens)
    kept = [t for t in tokens if t.lower() != "keep-alive"]
    if any(t.lower() == "upgrade" for t in kept):
        # measured: a `close` added next to an upgrade does not reach the server
        kept = [t for t in kept if t.lower() != "close"]
    return ", ".join(kept)
