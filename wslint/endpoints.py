"""The WebSocket URLs clients use (`--ws-url`, `--ws-path`, an endpoints file).

`wss://app.example.test/rt/socket#backend=/socket` is the URL a browser opens
(its host and port become the Host header) plus, in the fragment that browsers
never send, the path the application expects to receive when the proxy is
meant to change it. A bare `/path` has no host: every server is considered.

`#via=tls-balancer` (or `via: tls-balancer` in an endpoints file) says that the
client's TLS ends at a load balancer in front of the proxy, which connects to the
proxy without TLS (on port 80, or the port in `via=tls-balancer:8080`) and sends
`X-Forwarded-Proto: https`; the Host header stays the public one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from wslint import safe_yaml
from wslint.limits import Limits
from wslint.textfiles import TextFileError, read_text

DEFAULT_PORTS = {"ws": 80, "http": 80, "wss": 443, "https": 443}
# what may stand in front of the proxy (`via=`)
BALANCERS = ("tls-balancer",)


class EndpointError(ValueError):
    """A URL wslint cannot use as an endpoint; the message says why."""


@dataclass(frozen=True)
class EndpointOrigin:
    """Where an endpoint that nobody declared comes from: an app profile (wslint.profiles)."""

    # the profile's id and the app's name
    app: str
    name: str
    # what shows the configuration proxies the app ("upstream `mattermost`")
    evidence: str
    # strong evidence; findings of an endpoint only suggested by a path are info at most
    certain: bool
    # where the app documents this endpoint
    docs: str
    # the idle time the app's socket must survive, in seconds (its heartbeat)
    idle_timeout: float | None = None

    def describe(self) -> str:
        how = "recognized by" if self.certain else "suggested by"
        return f"{self.name}'s WebSocket endpoint, {how} {self.evidence}; {self.docs}"


@dataclass(frozen=True)
class Endpoint:
    raw: str
    scheme: str | None
    host: str | None
    port: int | None
    path: str
    query: str
    expected_backend_path: str | None = None
    # "/a?" sends a "?" with an empty query, and nginx passes it on as is
    has_query: bool = False
    # an app profile's endpoint (None: declared by the user)
    origin: EndpointOrigin | None = None
    # what stands in front of the proxy (`tls-balancer`: TLS ends there), and the proxy port it connects to
    via: str | None = None
    via_port: int | None = None

    @property
    def tls(self) -> bool:
        return self.scheme in ("wss", "https")

    @property
    def tls_to_proxy(self) -> bool:
        """Whether the connection that reaches the proxy is TLS (not when a balancer in front ends it)."""
        return self.tls and self.via is None

    @property
    def http_scheme(self) -> str:
        """What the proxy sees as $scheme: ws:// arrives as http, wss:// as https."""
        return "https" if self.tls else "http"

    @property
    def effective_port(self) -> int | None:
        if self.port is not None:
            return self.port
        return DEFAULT_PORTS.get(self.scheme or "")

    @property
    def host_header(self) -> str | None:
        if self.host is None:
            return None
        port = self.effective_port
        if port is None or port == DEFAULT_PORTS.get(self.scheme or ""):
            return self.host
        return f"{self.host}:{port}"

    @property
    def target(self) -> str:
        """The request target of the handshake (path and query, as sent)."""
        return self.path + (f"?{self.query}" if self.query or self.has_query else "")

    def __str__(self) -> str:
        return self.raw


def parse_endpoint(text: str, backend: str | None = None, via: str | None = None) -> Endpoint:
    raw = text.strip()
    if not raw:
        raise EndpointError("an empty endpoint")
    if raw.startswith("/"):
        path, _, rest = raw.partition("#")
        target, q, query = path.partition("?")
        if via or _fragment(rest, raw, "via"):
            raise EndpointError(f"{raw!r}: via= needs a wss:// or https:// URL (the balancer ends the client's TLS)")
        return Endpoint(raw, None, None, None, target, query, backend or _backend(rest, raw), has_query=bool(q))
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise EndpointError(f"{raw!r}: use a ws://, wss://, http:// or https:// URL, or a path starting with /")
    if not parts.hostname:
        raise EndpointError(f"{raw!r} has no host")
    try:
        port = parts.port
    except ValueError:
        raise EndpointError(f"{raw!r} has an invalid port") from None
    front, front_port = _via(via or _fragment(parts.fragment, raw, "via"), raw)
    if front is not None and scheme not in ("wss", "https"):
        raise EndpointError(f"{raw!r}: via= needs a wss:// or https:// URL (the balancer ends the client's TLS)")
    return Endpoint(
        raw=raw,
        scheme=scheme,
        host=parts.hostname.lower(),
        port=port,
        path=parts.path or "/",
        query=parts.query,
        expected_backend_path=backend or _backend(parts.fragment, raw),
        has_query="?" in raw.split("#", 1)[0],
        via=front,
        via_port=front_port,
    )


def _fragment(fragment: str, raw: str, key: str) -> str | None:
    if not fragment:
        return None
    values = parse_qs(fragment, keep_blank_values=True)
    unknown = set(values) - {"backend", "via"}
    if unknown or not values:
        raise EndpointError(f"{raw!r}: the fragment may only say #backend=/path and via=tls-balancer")
    return values[key][0] if key in values else None


def _backend(fragment: str, raw: str) -> str | None:
    value = _fragment(fragment, raw, "backend")
    if value is None:
        return None
    if not value.startswith("/"):
        raise EndpointError(f"{raw!r}: #backend= needs a path starting with /")
    return value


def _via(value: str | None, raw: str) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    name, sep, port = value.partition(":")
    if name not in BALANCERS or (sep and not port.isdigit()):
        raise EndpointError(f"{raw!r}: via= takes tls-balancer or tls-balancer:PORT, not {value!r}")
    return name, int(port) if sep else None


def load_endpoints_file(path: str) -> list[Endpoint]:
    """A YAML list of URLs, or of {url: ..., backend: ..., via: ...} mappings."""
    try:
        data = safe_yaml.load(read_text(path, path, Limits().file_size), path)
    except TextFileError as exc:
        raise EndpointError(str(exc)) from None
    except safe_yaml.YamlError as exc:
        raise EndpointError(str(exc)) from None
    if isinstance(data, dict) and "endpoints" in data:
        data = data["endpoints"]
    if not isinstance(data, list):
        raise EndpointError(f"{path}: expected a list of endpoints")
    out = []
    for i, item in enumerate(data):
        if isinstance(item, str):
            out.append(parse_endpoint(item))
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            out.append(endpoint_item(item, f"{path}: endpoints[{i}]"))
        else:
            raise EndpointError(f"{path}: endpoints[{i}]: expected a URL or {{url: ..., backend: ..., via: ...}}")
    return out


def endpoint_item(item: dict[str, object], where: str) -> Endpoint:
    """One `{url: ..., backend: ..., via: ...}` mapping of an endpoints list."""
    extra = set(item) - {"url", "backend", "via"}
    if extra:
        raise EndpointError(f"{where}: unknown key {sorted(extra)[0]!r}")
    backend, via = item.get("backend"), item.get("via")
    if backend is not None and not isinstance(backend, str):
        raise EndpointError(f"{where}.backend: expected a path")
    if via is not None and not isinstance(via, str):
        raise EndpointError(f"{where}.via: expected tls-balancer or tls-balancer:PORT")
    return parse_endpoint(str(item["url"]), backend, via)
