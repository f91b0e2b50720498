"""wslint's speed and memory against the floors it cannot go below, measured in one run.

    python benchmarks/bench.py            # 100, 1,000 and 10,000 nginx servers
    python benchmarks/bench.py --quick    # 100 and 1,000 only

For each generated configuration (each server has five locations, one of
them a WebSocket location with a few mistakes), it measures the whole
`wslint` process (wall time and peak memory) and the parse-only floor: a
process that only runs crossplane on the same files. Cold start is `wslint`
on a small file against `python -c "import crossplane"`. Every figure is the
median of several runs, and the table reports ratios, so machines of
different speed give comparable results. Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import os
import platform
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


def generate(directory: Path, servers: int) -> Path:
    conf = directory / f"nginx-{servers}.conf"
    parts = ["map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"]
    parts += [SERVER.format(i=i, port=3000 + i % 100) for i in range(servers)]
    conf.write_text("".join(parts))
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


def crossplane_floor(conf: Path) -> list[str]:
    code = (
        "import crossplane, sys; "
        "crossplane.parse(sys.argv[1], single=True, comments=True, check_ctx=False, check_args=False)"
    )
    return [PYTHON, "-c", code, str(conf)]


def wslint(*args: str) -> list[str]:
    return [PYTHON, "-m", "wslint", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-server configuration")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [100, 1_000] if args.quick else [100, 1_000, 10_000]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            conf = generate(Path(tmp), n)
            floor_t, floor_m = measure(crossplane_floor(conf), args.repeat)
            lint_t, lint_m = measure(wslint(str(conf), "--format", "json"), args.repeat)
            rows.append((f"{n:,} servers ({conf.stat().st_size // 1024:,} KiB)", lint_t, floor_t, lint_m, floor_m))
        small = REPO / "fixtures" / "nginx" / "map-idiom.conf"
        cold_t, cold_m = measure(wslint(str(small)), max(args.repeat, 5))
        imp_t, imp_m = measure([PYTHON, "-c", "import crossplane"], max(args.repeat, 5))
    print()
    print(f"{'configuration':28} {'wslint':>9} {'floor':>9} {'ratio':>6} {'wslint MiB':>11} {'floor MiB':>10}")
    for name, lint_t, floor_t, lint_m, floor_m in rows:
        print(f"{name:28} {lint_t:8.2f}s {floor_t:8.2f}s {lint_t / floor_t:5.1f}x {lint_m:10.0f} {floor_m:10.0f}")
    print(
        f"{'cold start, small file':28} {cold_t:8.3f}s {imp_t:8.3f}s {cold_t / imp_t:5.1f}x {cold_m:10.0f} {imp_m:10.0f}"
    )
    if len(rows) >= 2:
        (_, t1, _, _, _), (_, t2, _, _, _) = rows[-2], rows[-1]
        print(
            f"\ngrowth from {sizes[-2]:,} to {sizes[-1]:,} servers: {t2 / t1:.1f}x time for "
            f"{sizes[-1] / sizes[-2]:.0f}x size (linear is {sizes[-1] / sizes[-2]:.0f}x)"
        )
    print("targets: full lint within 1.5x of the floor, linear growth, cold start under 2x the import floor")


if __name__ == "__main__":
    main()
