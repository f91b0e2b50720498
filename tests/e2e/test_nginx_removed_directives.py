"""`ssl on` (removed in nginx 1.25.1), proven on the nginx under test and by wslint's own fix.

nginx 1.22.1 still accepts `ssl on` (with a deprecation warning) and serves TLS on every listen of
the server; 1.25.1 and later refuse it as an unknown directive (CHANGES of 1.25.1: "the deprecated
ssl directive is not supported anymore"). At 1.22.1 wslint says nothing; at the modelled 1.28.0 it
is WS603, whose fix moves TLS onto the `listen` line: the fixed server is one nginx loads without
the warning and that upgrades a WebSocket over TLS exactly as the original did.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.e2e.backends import Backend
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import free_port
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import RuleSet

pytestmark = pytest.mark.realproxy

SITE = """\
server {{
    listen 127.0.0.1:{port};
    ssl on;
    ssl_certificate {certs}/cert.pem;
    ssl_certificate_key {certs}/key.pem;
    server_name app.example.test;
    location /ws/ {{
        proxy_pass http://127.0.0.1:{app};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }}
}}
"""


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a certificate (.ci/run installs it)"
    request = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=app.example.test"]
    subprocess.run(
        [*request, "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return d


def _tls_upgrade(port: int) -> int | None:
    """The status of a WebSocket handshake over TLS (the certificate is the test's own)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /ws/ HTTP/1.1\r\nHost: app.example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        tls.sendall(request.encode())
        head = tls.recv(4096).split(b"\r\n", 1)[0].split()
    return int(head[1]) if len(head) > 1 and head[1].isdigit() else None


def _serve(binary: str, site: str, prefix: Path, port: int) -> tuple[int | None, str]:
    nginx = Nginx(binary, prefix, site)
    nginx.start(port)
    try:
        return _tls_upgrade(port), nginx.error_log()
    finally:
        nginx.stop()


def test_ssl_on_fixed_by_wslint_serves_the_same(nginx_bin: str, certs: Path, tmp_path: Path, rules: RuleSet) -> None:
    with Backend() as app:
        port = free_port()
        site = SITE.format(port=port, certs=certs, app=app.port)
        status, log = _serve(nginx_bin, site, tmp_path / "original", port)
        assert status == 101
        assert 'the "ssl" directive is deprecated' in log

        path = tmp_path / "site.conf"
        path.write_text(site)
        assert run(LintOptions(paths=(str(path),), nginx_version="1.22.1"), rules).findings == []
        report = run(LintOptions(paths=(str(path),), nginx_version="1.28.0"), rules)
        (finding,) = report.findings
        assert (finding.rule, finding.line) == ("removed-keyword", 3)
        assert finding.fix is not None
        fixed = apply_edits(site, list(finding.fix.edits))
        assert "ssl on" not in fixed and f"listen 127.0.0.1:{port} ssl;" in fixed
        path.write_text(fixed)
        assert run(LintOptions(paths=(str(path),), nginx_version="1.28.0"), rules).findings == []

        status, log = _serve(nginx_bin, fixed, tmp_path / "fixed", port)
        assert status == 101
        assert "deprecated" not in log
