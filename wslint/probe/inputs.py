"""What the probe accepts from the command line for its request: each value goes into a request line or a
header as bytes, so a CR or LF would start a header (or a request) of its own, and a character outside
Latin-1 has no byte at all. Both are refused with a message naming the option, before anything is sent."""

from __future__ import annotations

import re

# RFC 9110's token: the characters a header name may have
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# control characters (HTAB is allowed inside a header value)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class RequestTextError(ValueError):
    """A value the probe cannot put into its request; the message names the option."""


def _check(option: str, value: str, allow_tab: bool) -> None:
    bad = _CONTROL.search(value) or (None if allow_tab else re.search(r"[\t ]", value))
    if bad is not None:
        raise RequestTextError(
            f"{option}: {value!r} has {bad.group(0)!r} at position {bad.start()}: "
            "a request cannot carry it (a CR or LF would start a header of its own)"
        )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise RequestTextError(
            f"{option}: {value!r} has {value[exc.start]!r}, which HTTP/1.1 cannot send as it is "
            "(percent-encode it, or use the punycode form of a host name)"
        ) from None


def header(raw: str) -> tuple[str, str]:
    """`Name: value` from --header, checked."""
    name, sep, value = raw.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _TOKEN.fullmatch(name):
        raise RequestTextError(f"--header needs 'Name: value' with a name of letters, digits and -_., got {raw!r}")
    _check("--header", value, allow_tab=True)
    return name, value


def _ascii(option: str, value: str) -> str:
    # a URL or an origin has no blanks either, and non-ASCII is encoded before it goes into a request
    _check(option, value, allow_tab=False)
    bad = next((c for c in value if not c.isascii()), None)
    if bad is not None:
        raise RequestTextError(
            f"{option}: {value!r} has {bad!r}, outside ASCII: percent-encode the path and use the punycode host"
        )
    return value


def origin(value: str | None) -> str | None:
    return None if value is None else _ascii("--origin", value)


def url(value: str) -> str:
    return _ascii("URL", value)
