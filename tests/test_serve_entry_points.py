"""``icomm serve`` opens the SMTP ingress (STARTTLS offered and required) and the web app
beside the hub; it is the only command that loads the web app."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ICOMM = [sys.executable, "-c", "from hub.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_listens_for_smtp_and_the_web(tmp_path: Path) -> None:
    port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICOMM_")}
    env.update(ICOMM_NODE="ge", ICOMM_DATA_DIR=str(tmp_path / "ge"), ICOMM_SMTP_PORT=str(port))
    env.update(ICOMM_WEB_PORT=str(web_port))
    server = subprocess.Popen([*ICOMM, "serve"], env=env, stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                break
            except OSError:
                assert server.poll() is None, "icomm serve exited"
                assert time.monotonic() < deadline, "no SMTP listener within 60 s"
                time.sleep(0.2)
        with client:
            client.ehlo("officer.example")
            assert client.has_extn("starttls")
            code, text = client.mail("nino@ge.icomm.example")
            assert code == 530 and b"STARTTLS" in text
        assert (tmp_path / "ge" / "smtp").is_dir()  # the self-signed certificate for TLS
        page = httpx.get(f"http://127.0.0.1:{web_port}/login", timeout=10)
        assert page.status_code == 200 and "<form" in page.text
    finally:
        server.terminate()
        assert server.wait(timeout=60) == 0


def test_only_serve_loads_the_web_app() -> None:
    # the web app builds its routes' models as it is imported: every other command (keys,
    # users, status …) would pay that at each start
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, hub.cli; print(sorted({'hub.web', 'fastapi'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
