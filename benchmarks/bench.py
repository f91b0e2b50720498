"""wslint's speed and memory against the floors it cannot go below, measured in one run.

    python benchmarks/bench.py            # 100, 1,000 and 10,000 servers or sites
    python benchmarks/bench.py --quick    # 100 and 1,000 only
    python benchmarks/bench.py --targets  # the speed targets' table (README, Performance), paired runs

For each generated configuration it measures the whole `wslint` process
(wall time and peak memory) against a parse-only floor, a process that only
parses the same file: crossplane for nginx (each server has five locations,
one of them a WebSocket location), PyYAML with libyaml for a Traefik dynamic
configuration (two routers a site), and reading and splitting lines for
HAProxy (a frontend choosing among two backends a site: no Python parser
exists to compare with), and the same for Apache httpd (two ProxyPass lines
a virtual host) and Caddy (two handle blocks a site). A tree of 200 nginx
configurations is linted on one process and on all cores. Cold start is `wslint` on a small file against
`python -c "import crossplane"`. Every figure is the median of several runs,
and the tables report ratios, so machines of different speed give comparable
results. Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

SERVER = """\
server {{
    listen 80;
    server_name s{i}.example.test;
    proxy_set_header Host $host;
    location / {{ proxy_pass http://127.0.0.1:{port}; }}
    location /api/ {{ proxy_pass http://127.0.0.1:{port}; proxy_read_timeout 30s; }}
    location /ws/ {{
        proxy_pass http://127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }}
    location ~ \\.php$ {{ fastcgi_pass unix:/run/php.sock; }}
    location /static/ {{ root /srv; }}
}}
"""


HAPROXY_HEAD = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind :80
"""


def generate(directory: Path, servers: int) -> Path:
    conf = directory / f"nginx-{servers}.conf"
    parts = ["map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"]
    parts += [SERVER.format(i=i, port=3000 + i % 100) for i in range(servers)]
    conf.write_text("".join(parts))
    return conf


def generate_haproxy(directory: Path, sites: int) -> Path:
    """One frontend choosing among 2 backends per site by Host and path (a WebSocket and an app backend)."""
    parts = [HAPROXY_HEAD]
    parts += [f"    acl host_s{i} hdr(host) -i s{i}.example.test\n" for i in range(sites)]
    parts += [
        f"    use_backend ws_s{i} if host_s{i} {{ path_beg /ws/ }}\n    use_backend app_s{i} if host_s{i}\n"
        for i in range(sites)
    ]
    parts.append("    default_backend app_s0\n\n")
    parts += [
        f"backend app_s{i}\n    server a 127.0.0.1:{3000 + i % 100}\n\n"
        f"backend ws_s{i}\n    timeout tunnel 1h\n    server w 127.0.0.1:{3000 + i % 100}\n\n"
        for i in range(sites)
    ]
    conf = directory / f"haproxy-{sites}.cfg"
    conf.write_text("".join(parts))
    return conf


def generate_traefik(directory: Path, sites: int) -> Path:
    """A file-provider dynamic configuration: an app router and a WebSocket router per site."""
    parts = ["http:\n  routers:\n"]
    parts += [
        f'    app{i}:\n      rule: "Host(`s{i}.example.test`)"\n      service: app{i}\n'
        f'    ws{i}:\n      rule: "Host(`s{i}.example.test`) && PathPrefix(`/ws/`)"\n      service: app{i}\n'
        for i in range(sites)
    ]
    parts.append("  services:\n")
    parts += [
        f'    app{i}:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:{3000 + i % 100}"\n'
        for i in range(sites)
    ]
    # alone in its directory: a file provider reads every file of a directory
    home = directory / f"traefik-{sites}"
    home.mkdir()
    conf = home / "dynamic.yml"
    conf.write_text("".join(parts))
    return conf


def generate_apache(directory: Path, sites: int) -> Path:
    """Name-based virtual hosts, each with a ws:// ProxyPass ahead of its catch-all."""
    parts = [
        "LoadModule mpm_event_module modules/mod_mpm_event.so\nLoadModule proxy_module modules/mod_proxy.so\n"
        "LoadModule proxy_http_module modules/mod_proxy_http.so\n"
        "Listen 80\nServerName bench.example.test\nErrorLog /dev/null\n"
    ]
    parts += [
        f"<VirtualHost *:80>\n    ServerName s{i}.example.test\n"
        f"    ProxyPass /ws/ ws://127.0.0.1:{3000 + i % 100}/ws/\n"
        f"    ProxyPass / http://127.0.0.1:{3000 + i % 100}/\n</VirtualHost>\n"
        for i in range(sites)
    ]
    conf = directory / f"apache-{sites}.conf"
    conf.write_text("".join(parts))
    return conf


def generate_caddy(directory: Path, sites: int) -> Path:
    """Caddyfile sites, each with a handle for its WebSocket path and one for the rest."""
    parts = [
        f"s{i}.example.test {{\n\thandle /ws/* {{\n\t\treverse_proxy 127.0.0.1:{3000 + i % 100}\n\t}}\n"
        f"\thandle {{\n\t\treverse_proxy 127.0.0.1:{3000 + i % 100}\n\t}}\n}}\n"
        for i in range(sites)
    ]
    home = directory / f"caddy-{sites}"
    home.mkdir()
    conf = home / "Caddyfile"
    conf.write_text("".join(parts))
    return conf


def generate_tree(directory: Path, sites: int, servers: int, name: str = "tree") -> Path:
    """A deploy tree of many small nginx configurations, one per site."""
    root = directory / name
    for i in range(sites):
        site = root / f"site{i:03d}"
        site.mkdir(parents=True)
        generate(site, servers).rename(site / "nginx.conf")
    return root


# shapes that were quadratic (issue 19): one nginx server of many locations, a Caddy JSON server of
# many routes, an HAProxy directory (haproxy -f DIR/) of many files that name each other's backends
def generate_nginx_locations(directory: Path, locations: int) -> Path:
    conf = directory / f"nginx-locations-{locations}.conf"
    body = "".join(f"    location /l{i}/ {{ proxy_pass http://127.0.0.1:9000; }}\n" for i in range(locations))
    conf.write_text(f"server {{\n    listen 80;\n{body}}}\n")
    return conf


def generate_caddy_json(directory: Path, routes: int) -> Path:
    conf = directory / f"caddy-{routes}.json"
    items = [
        {
            "match": [{"host": [f"s{i}.example.test"], "path": [f"/r{i}/ws", f"/r{i}/api/*"]}],
            "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{3000 + i % 100}"}]}],
        }
        for i in range(routes)
    ]
    conf.write_text(json.dumps({"apps": {"http": {"servers": {"s": {"listen": [":80"], "routes": items}}}}}))
    return conf


def generate_haproxy_directory(directory: Path, files: int) -> Path:
    conf = directory / f"haproxy-d-{files}"
    conf.mkdir()
    (conf / "0000-defaults.cfg").write_text(HAPROXY_HEAD.split("frontend")[0])
    for i in range(1, files):
        other = i % (files - 1) + 1
        (conf / f"{i:05d}.cfg").write_text(
            f"frontend f{i}\n    bind :{10000 + i}\n    default_backend b{other}\n\n"
            f"backend b{i}\n    server a 127.0.0.1:9000\n"
        )
    return conf


def measure(argv: list[str], repeat: int) -> tuple[float, float]:
    """(median wall seconds, peak RSS in MiB) of running argv to completion."""
    times: list[float] = []
    peak = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peak = max(peak, usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{argv} failed with {status}")
    return statistics.median(times), peak


def crossplane_floor(*confs: Path) -> list[str]:
    code = (
        "import crossplane, sys\n"
        "for f in sys.argv[1:]:\n"
        "    crossplane.parse(f, single=True, comments=True, check_ctx=False, check_args=False)"
    )
    return [PYTHON, "-c", code, *map(str, confs)]


def split_floor(conf: Path) -> list[str]:
    # HAProxy, Apache and Caddy have no Python parser to compare with: reading the file and
    # splitting lines into words
    code = "import sys\nwords = [line.split() for line in open(sys.argv[1], encoding='utf-8')]"
    return [PYTHON, "-c", code, str(conf)]


def yaml_floor(conf: Path) -> list[str]:
    code = "import sys, yaml\nyaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)"
    return [PYTHON, "-c", code, str(conf)]


def wslint(*args: str) -> list[str]:
    return [PYTHON, "-m", "wslint", *args]


Row = tuple[str, float, float, float, float]


def _row(name: str, lint: list[str], floor: list[str], repeat: int) -> Row:
    floor_t, floor_m = measure(floor, repeat)
    lint_t, lint_m = measure(lint, repeat)
    return name, lint_t, floor_t, lint_m, floor_m


def _print(title: str, rows: list[Row], floor_name: str) -> None:
    print(f"\n{title}")
    print(f"{'configuration':30} {'wslint':>9} {floor_name:>9} {'ratio':>6} {'wslint MiB':>11} {'floor MiB':>10}")
    for name, lint_t, floor_t, lint_m, floor_m in rows:
        print(f"{name:30} {lint_t:8.2f}s {floor_t:8.2f}s {lint_t / floor_t:5.1f}x {lint_m:10.0f} {floor_m:10.0f}")


def _growth(label: str, sizes: list[int], rows: list[Row]) -> None:
    if len(rows) >= 2:
        t1, t2 = rows[-2][1], rows[-1][1]
        factor = sizes[-1] / sizes[-2]
        print(f"growth from {sizes[-2]:,} to {sizes[-1]:,} {label}: {t2 / t1:.1f}x time for {factor:.0f}x size")


def _kib(conf: Path) -> str:
    return f"{conf.stat().st_size // 1024:,} KiB"


# -- the targets of issue 18: each ratio against its floor, measured in pairs in the same run --------------


def paired(lint: list[str], floor: list[str], repeat: int) -> tuple[float, float, float, float, float]:
    """(median of the per-pair time ratios, median lint s, median floor s, peak lint MiB, peak floor MiB): the
    two commands run alternately, so a change in the machine's load hits both sides of a pair alike."""
    measure(floor, 1)  # warm the page cache and the compiled-template cache
    measure(lint, 1)
    ratios, lint_ts, floor_ts = [], [], []
    lint_m = floor_m = 0.0
    for i in range(repeat):
        # which one runs first alternates, so neither side gains from going second (warm caches)
        if i % 2:
            lt, lm = measure(lint, 1)
            ft, fm = measure(floor, 1)
        else:
            ft, fm = measure(floor, 1)
            lt, lm = measure(lint, 1)
        ratios.append(lt / ft)
        lint_ts.append(lt)
        floor_ts.append(ft)
        lint_m, floor_m = max(lint_m, lm), max(floor_m, fm)
    return statistics.median(ratios), statistics.median(lint_ts), statistics.median(floor_ts), lint_m, floor_m


def installed_wslint() -> list[str]:
    """The console script beside this Python (what users run: its start-up path), else `python -m wslint`."""
    script = Path(PYTHON).with_name("wslint")
    return [str(script)] if script.exists() else [PYTHON, "-m", "wslint"]


def targets(base: Path, repeat: int) -> None:
    """Print each row of issue 18's table: the ratio now, its target, and whether it is met."""
    exe = installed_wslint()
    out = ["--format", "json", "--jobs", "1"]
    (base / "one").mkdir()
    small = generate(base / "one", 1)
    nginx_2k = generate(base, 2_000)
    nginx_10k = generate(base, 10_000)
    caddy_2k = generate_caddy(base, 2_000)
    haproxy_2k = generate_haproxy(base, 2_000)
    apache_2k = generate_apache(base, 2_000)
    fifty = generate_tree(base, 50, 1, name="fifty")
    rows: list[tuple[str, float, float, str]] = []

    def add(what: str, target: float, lint: list[str], floor: list[str], n: int, memory: bool = False) -> None:
        ratio, lint_t, floor_t, lint_m, floor_m = paired(lint, floor, n)
        value = lint_m / floor_m if memory else ratio
        detail = f"{lint_m:.0f} / {floor_m:.0f} MiB" if memory else f"{lint_t * 1000:.0f} / {floor_t * 1000:.0f} ms"
        rows.append((what, value, target, detail))

    add(
        "one-server nginx file / `python -c 'import crossplane'`",
        4.0,
        [*exe, str(small)],
        [PYTHON, "-c", "import crossplane"],
        max(repeat, 9),
    )
    add("`wslint --version` / `python -c pass`", 3.0, [*exe, "--version"], [PYTHON, "-c", "pass"], max(repeat, 9))
    add("nginx 2,000x5 / `crossplane.parse`", 2.0, [*exe, str(nginx_2k), *out], crossplane_floor(nginx_2k), repeat)
    add(
        "nginx 10,000x5 peak memory / crossplane's",
        3.0,
        [*exe, str(nginx_10k), *out],
        crossplane_floor(nginx_10k),
        1,
        memory=True,
    )
    caddy = shutil.which("caddy")
    if caddy:
        add(
            "Caddy 2,000 sites / `caddy adapt`",
            3.5,
            [*exe, str(caddy_2k), "--proxy", "caddy", *out],
            [caddy, "adapt", "--config", str(caddy_2k), "--adapter", "caddyfile"],
            repeat,
        )
    haproxy = shutil.which("haproxy")
    if haproxy:
        add(
            "HAProxy 2,000 / `haproxy -c`",
            6.0,
            [*exe, str(haproxy_2k), *out],
            [haproxy, "-c", "-q", "-f", str(haproxy_2k)],
            repeat,
        )
    apache = shutil.which("apache2") or shutil.which("httpd")
    if apache:
        add(
            "Apache 2,000 / `apache2 -t`",
            6.0,
            [*exe, str(apache_2k), "--proxy", "apache", *out],
            [apache, "-t", "-d", "/usr/lib/apache2", "-f", str(apache_2k)],
            repeat,
        )
    add(
        "50 one-server files, `--jobs 0` / `--jobs 1`",
        1.0,
        [*exe, str(fifty), "--format", "json", "--jobs", "0"],
        [*exe, str(fifty), "--format", "json", "--jobs", "1"],
        # the two take the same path below 1 MiB: only many pairs tell an equal ratio from noise
        max(repeat, 15),
    )
    print("\nissue 18 targets (medians of paired runs in this run)")
    print("| what | now | target | met | measured |")
    print("| --- | ---: | ---: | --- | --- |")
    for what, value, target, detail in rows:
        print(f"| {what} | {value:.2f}x | <= {target:g}x | {'yes' if value <= target else 'no'} | {detail} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-site configurations")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--targets", action="store_true", help="only the table of the speed targets")
    args = parser.parse_args()
    if args.targets:
        with tempfile.TemporaryDirectory() as tmp:
            targets(Path(tmp), max(args.repeat, 5))
        return
    sizes = [100, 1_000] if args.quick else [100, 1_000, 10_000]
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    out = ["--format", "json", "--jobs", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        nginx = []
        for n in sizes:
            conf = generate(base, n)
            nginx.append(
                _row(f"{n:,} servers ({_kib(conf)})", wslint(str(conf), *out), crossplane_floor(conf), args.repeat)
            )
        _print("nginx: whole wslint process against crossplane parsing the same file", nginx, "crossplane")
        _growth("servers", sizes, nginx)

        haproxy = []
        for n in sizes:
            conf = generate_haproxy(base, n)
            haproxy.append(_row(f"{n:,} sites ({_kib(conf)})", wslint(str(conf), *out), split_floor(conf), args.repeat))
        _print("HAProxy: against reading the file and splitting lines into words", haproxy, "split")
        _growth("sites", sizes, haproxy)

        traefik = []
        for n in sizes:
            conf = generate_traefik(base, n)
            traefik.append(_row(f"{n:,} sites ({_kib(conf)})", wslint(str(conf), *out), yaml_floor(conf), args.repeat))
        _print("Traefik: against PyYAML (libyaml) loading the same file", traefik, "yaml")
        _growth("sites", sizes, traefik)

        for title, generator, proxy in (
            ("Apache httpd: against reading the file and splitting lines into words", generate_apache, "apache"),
            ("Caddy: against reading the file and splitting lines into words", generate_caddy, "caddy"),
        ):
            rows = []
            for n in sizes:
                conf = generator(base, n)
                lint = wslint(str(conf), "--proxy", proxy, *out)
                rows.append(_row(f"{n:,} sites ({_kib(conf)})", lint, split_floor(conf), args.repeat))
            _print(title, rows, "split")
            _growth("sites", sizes, rows)

        shapes = []
        for n in [2_000, 20_000] if not args.quick else [2_000]:
            conf = generate_nginx_locations(base, n)
            shapes.append(_row(f"nginx, {n:,} locations", wslint(str(conf), *out), crossplane_floor(conf), 1))
        for n in [100, 1_000]:
            conf = generate_caddy_json(base, n)
            shapes.append(_row(f"Caddy JSON, {n:,} routes", wslint(str(conf), *out), yaml_floor(conf), 1))
        for n in [200, 2_000]:
            conf = generate_haproxy_directory(base, n)
            first = next(conf.glob("*.cfg"))
            shapes.append(_row(f"HAProxy dir, {n:,} files", wslint(str(conf), *out), split_floor(first), 1))
        _print("shapes once quadratic (floor: parsing; for the directory, one of its files)", shapes, "floor")

        tree = generate_tree(base, 200, 20)
        confs = sorted(tree.glob("*/nginx.conf"))
        many = [
            _row(
                "200 files, 1 process",
                wslint(str(tree), "--format", "json", "--jobs", "1"),
                crossplane_floor(*confs),
                args.repeat,
            ),
            _row("200 files, all cores", wslint(str(tree), "--format", "json"), crossplane_floor(*confs), args.repeat),
        ]
        _print("a tree of 200 nginx configurations of 20 servers each", many, "crossplane")

        small = REPO / "fixtures" / "nginx" / "map-idiom.conf"
        cold = [_row("small file", wslint(str(small)), [PYTHON, "-c", "import crossplane"], max(args.repeat, 5))]
        _print("cold start (compiled-template cache warm, as in every run after the first)", cold, "import")
    print("\ntargets: full lint within 1.5x of the floor, linear growth, cold start under 2x the import floor")


if __name__ == "__main__":
    main()
