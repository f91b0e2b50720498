"""wslint's Caddyfile reading, compared with `caddy adapt` on generated layouts.

`caddy adapt` prints the JSON configuration Caddy runs (asked here of caddy's
admin API, which runs the same adapter: one caddy for all). wslint builds the
same route tree (directive order, sorting by path length, handle groups,
route blocks in written order, merged routes, site matchers), and prints it
the same way; for every generated Caddyfile both must be equal (group names
compared by order of appearance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.caddy_layouts import BACKENDS, layouts, load
from tests.e2e.caddy_proxy import CaddyAdapter
from tests.e2e.generated import draw_examples

pytestmark = pytest.mark.realproxy

PORTS = {b: 9100 + i for i, b in enumerate(BACKENDS)}


def _normalize(obj: Any, names: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "group":
                out[k] = names.setdefault(v, f"g{len(names)}")
            elif k == "hide":
                continue
            else:
                out[k] = _normalize(v, names)
        return out
    if isinstance(obj, list):
        return [_normalize(x, names) for x in obj]
    return obj


def caddy_json(adapter: CaddyAdapter, text: str) -> dict[str, Any] | str:
    adapted, error = adapter.adapt(text)
    if adapted is None:
        return "refused: " + error
    servers = adapted.get("apps", {}).get("http", {}).get("servers", {})
    return _normalize({n: {"listen": s.get("listen"), "routes": s.get("routes", [])} for n, s in servers.items()}, {})


def wslint_json(text: str, tmp: Path) -> dict[str, Any] | str:
    model = load(text, tmp / "Caddyfile")
    if model is None:
        return "refused"
    return _normalize({s.name: s.to_json() for s in model.app.servers}, {})


def concrete(layout: str) -> str:
    text = "{\n\tadmin off\n\tauto_https off\n}\n\n" + layout.replace("__PORT__", "8080")
    for b, p in PORTS.items():
        text = text.replace(f"__{b}__", str(p))
    return text


LAYOUTS = 400


def test_generated_caddyfiles_adapt_like_caddy(caddy_adapter: CaddyAdapter, tmp_path: Path) -> None:
    generated = draw_examples(layouts(), LAYOUTS, "caddy adapt")
    refused = 0
    for i, layout in enumerate(generated):
        tmp = tmp_path / f"layout{i}"
        tmp.mkdir()
        text = concrete(layout)
        theirs = caddy_json(caddy_adapter, text)
        mine = wslint_json(text, tmp)
        if isinstance(theirs, str):
            refused += 1
            assert isinstance(mine, str), f"caddy {theirs}, wslint accepts:\n{text}"
            continue
        assert mine == theirs, "\n".join(
            [
                text,
                "wslint:",
                json.dumps(mine, indent=1, sort_keys=True),
                "caddy:",
                json.dumps(theirs, indent=1, sort_keys=True),
            ]
        )
    assert len(generated) >= 300
    # most layouts are valid Caddyfiles
    assert refused < len(generated) / 4
