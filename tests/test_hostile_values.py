"""Values no proxy can hold are diagnostics with file and line, never an internal error: 400-digit
durations, integers past what Python converts, YAML tags the value does not fit, and references nested
deeper than Python recurses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_bad_input import lint_capped

BIG = "9" * 400


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _lint(here: Path, name: str, text: str, *args: str) -> tuple[int, str]:
    (here / name).write_text(text)
    res = lint_capped(name, *args)
    assert "internal error" not in res.stderr, res.stderr
    return res.returncode, res.stdout + res.stderr


NGINX = "server {{ listen 80; location /ws/ {{ proxy_pass http://127.0.0.1:9; {directive} {value}; }} }}\n"


@pytest.mark.parametrize("directive", ["proxy_read_timeout", "proxy_send_timeout", "grpc_read_timeout"])
def test_nginx_time_nginx_cannot_hold_is_refused_like_nginx(here: Path, directive: str) -> None:
    code, out = _lint(here, "site.conf", NGINX.format(directive=directive, value=f"{BIG}s"))
    assert code == 2 and f'site.conf:1: error: "{directive}" directive invalid value' in out
    code, out = _lint(here, "site.conf", NGINX.format(directive=directive, value="abc"))
    assert code == 2 and "invalid value" in out
    # the largest value nginx takes is still a time
    code, out = _lint(here, "site.conf", NGINX.format(directive=directive, value="9223372036854775s"))
    assert code in (0, 1) and "invalid value" not in out


def test_haproxy_and_caddy_durations_out_of_range(here: Path) -> None:
    haproxy = f"defaults\n    mode http\n    timeout client {BIG}s\n\nfrontend www\n    bind :80\n    default_backend app\n\nbackend app\n    server a 127.0.0.1:9000\n"
    code, out = _lint(here, "haproxy.cfg", haproxy)
    assert code == 2 and "haproxy.cfg:3: error: 'timeout client'" in out and "is not a time" in out
    caddy = f"example.test {{\n\treverse_proxy 127.0.0.1:9 {{\n\t\thealth_uri /h\n\t\thealth_timeout {BIG}s\n\t}}\n}}\n"
    code, out = _lint(here, "Caddyfile", caddy)
    assert code == 2 and "Caddyfile:4:" in out and "bad duration value" in out


def test_idle_threshold_out_of_range(here: Path) -> None:
    code, out = _lint(
        here, "site.conf", NGINX.format(directive="proxy_read_timeout", value="60s"), "--idle-threshold", f"{BIG}s"
    )
    assert code == 2 and "--idle-threshold must be a duration" in out


def test_caddy_json_integer_past_python_conversion(here: Path) -> None:
    digits = "9" * 5000
    text = '{"apps": {"http": {"servers": {"s": {"listen": [":80"],\n"idle_timeout": ' + digits + "}}}}}\n"
    code, out = _lint(here, "caddy.json", text, "--proxy", "caddy")
    assert (
        code == 2 and "caddy.json:2:17: error: number 99999999999999999999... (5000 characters) is out of range" in out
    )
    # 21 digits, more than any Go integer holds, are refused too
    code, out = _lint(here, "caddy.json", text.replace(digits, "1" + "0" * 20), "--proxy", "caddy")
    assert code == 2 and "is out of range" in out


@pytest.mark.parametrize(
    ("yaml", "line", "message"),
    [
        ("http:\n  routers: !!int abc\n", 2, "'abc' is not a valid !!int"),
        (
            "http:\n  routers:\n    r:\n      rule: !!timestamp abc\n      service: s\n",
            4,
            "'abc' is not a valid !!timestamp",
        ),
        ("http:\n  routers:\n    r:\n      priority: !!bool maybe\n", 4, "'maybe' is not a valid !!bool"),
        ("http:\n  routers:\n    r:\n      priority: 2001-02-30\n", 4, "'2001-02-30' is not a valid !!timestamp"),
        (f"http:\n  routers:\n    r:\n      priority: {'9' * 5000}\n", 4, "(5000 characters)' is not a valid !!int"),
    ],
    ids=["int", "timestamp", "bool", "no-such-date", "5000-digits"],
)
def test_yaml_tags_the_value_does_not_fit(here: Path, yaml: str, line: int, message: str) -> None:
    code, out = _lint(here, "dynamic.yml", yaml, "--proxy", "traefik")
    assert code == 2 and f"dynamic.yml:{line}: error: not valid YAML (line {line}): " in out and message in out


def test_yaml_tag_in_the_repository_config(here: Path) -> None:
    (here / ".wslint.yaml").write_text("ignore: !!int abc\n")
    code, out = _lint(here, "site.conf", NGINX.format(directive="proxy_read_timeout", value="60s"))
    assert code == 2 and ".wslint.yaml: not valid YAML (line 1): 'abc' is not a valid !!int" in out


def test_traefik_toml_with_a_thousand_dotted_keys(here: Path) -> None:
    text = '[http.routers.r]\nrule = "Host(`a.test`)"\nservice = "s"\n[http.middlewares]\nx' + ".a" * 1000 + " = 1\n"
    code, out = _lint(here, "dynamic.toml", text, "--proxy", "traefik")
    assert code == 2 and "dynamic.toml:4: error: nested more than 200 levels deep (limits: nesting)" in out


SERVICE = "  services:\n    {name}:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"


def test_traefik_chain_nested_deeper_than_python_recurses(here: Path) -> None:
    lines = [
        "http:",
        "  routers:",
        "    r:",
        "      rule: Host(`a.test`)",
        "      service: s",
        "      middlewares: [m0]",
    ]
    lines.append("  middlewares:")
    for i in range(1100):
        lines += [f"    m{i}:", "      chain:", f"        middlewares: [m{i + 1}]"]
    lines += ["    m1100:", "      headers:", "        customRequestHeaders:", "          X: y"]
    code, out = _lint(here, "dynamic.yml", "\n".join(lines) + "\n" + SERVICE.format(name="s"), "--proxy", "traefik")
    assert code == 2 and "router r@file: middleware chain m200@file is nested more than 200 levels deep" in out


def test_traefik_weighted_nested_deeper_than_python_recurses_or_in_a_cycle(here: Path) -> None:
    lines = ["http:", "  routers:", "    r:", "      rule: Host(`a.test`)", "      service: w0", "  services:"]
    for i in range(3000):
        lines += [f"    w{i}:", "      weighted:", "        services:", f"          - name: w{i + 1}"]
    tail = "    w3000:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"
    code, out = _lint(here, "dynamic.yml", "\n".join(lines) + "\n" + tail, "--proxy", "traefik")
    assert code == 2 and "router r@file: service w200@file is nested more than 200 levels deep" in out
    cycle = "http:\n  routers:\n    r:\n      rule: Host(`a.test`)\n      service: w0\n  services:\n"
    cycle += "    w0:\n      weighted:\n        services:\n          - name: w1\n"
    cycle += "    w1:\n      weighted:\n        services:\n          - name: w0\n"
    code, out = _lint(here, "dynamic.yml", cycle, "--proxy", "traefik")
    assert code in (0, 1, 2)


def _define_bomb(levels: int) -> str:
    lines = ["Listen 80", 'Define L0 "xxxxxxxxxx"']
    lines += [f'Define L{i} "' + f"${{L{i - 1}}}" * 10 + '"' for i in range(1, levels + 1)]
    lines += [
        "<VirtualHost *:80>",
        f"    ServerName ${{L{min(levels, 3)}}}",
        "    ProxyPass /ws/ ws://127.0.0.1:9/",
        "</VirtualHost>",
    ]
    return "\n".join(lines) + "\n"


def test_apache_define_expansion_bomb_is_refused_before_it_is_built(here: Path) -> None:
    (here / "httpd.conf").write_text(_define_bomb(8))
    # a 10^8-character word would take gigabytes to build: the cap refuses it with 512 MB to spare
    res = lint_capped("httpd.conf", "--proxy", "apache", memory=512 << 20)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "httpd.conf:9: error: expanding the ${...} variables of Define makes a value of 100000000 characters" in (
        res.stderr
    )
    assert "no problems found" not in res.stdout
    # four levels (10^5 characters) are within the limit and linted
    code, out = _lint(here, "httpd.conf", _define_bomb(4), "--proxy", "apache")
    assert code in (0, 1) and "expanding" not in out
