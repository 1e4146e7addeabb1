"""End-to-end helpers: a real node run by ``icomm serve`` in a subprocess, and headless
Chromium (Debian's, driven by Playwright) that saves a screenshot of every step.

::

    with served_node(tmp_path, users) as node, chromium() as browser:
        shots = Screenshots("mail")
        page = browser.new_page(base_url=node.url)
        sign_in(page, "nino")
        shots.take(page, "inbox")              # test-artifacts/e2e/mail-01-inbox.png

The node serves plain HTTP on 127.0.0.1 with its production settings (Secure session
cookies included: Chromium treats http://127.0.0.1 as a secure context and keeps them).
Playwright never downloads a browser of its own: it launches /usr/bin/chromium, which
``.ci/run`` installs; without it the browser tests skip.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from nodes import PASSWORD
from playwright.sync_api import Browser, Page, sync_playwright

from hub.accounts import Role
from hub.config import Settings
from hub.node import Node

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these Chromium keeps calling home (updates, sync, field trials) on a closed network
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    f"no Chromium at {CHROMIUM}: install Debian's (apt-get install --no-install-recommends "
    "chromium), as .ci/run does"
)
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("ICOMM_E2E_SCREENSHOTS") or REPO / "test-artifacts" / "e2e")
ICOMM = [sys.executable, "-c", "from hub.cli import main; main()"]
NODE = "ge"
START_SECONDS = 60


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role = Role.OFFICER
    password: str = PASSWORD


@dataclass(frozen=True)
class ServedNode:
    """A node run by ``icomm serve``: its web app's URL and its SMTP ingress."""

    url: str  # http://127.0.0.1:port, no trailing slash
    smtp_port: int
    data_dir: Path
    log: Path  # the server's output, for a failing test's report

    @property
    def smtp_cafile(self) -> Path:
        """The self-signed certificate the SMTP ingress made for STARTTLS."""
        return self.data_dir / "smtp" / "cert.pem"


def _clean_environment() -> dict[str, str]:
    """This process's environment without ICOMM_* settings (a developer's shell may have
    some): the node is configured by the test alone."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ICOMM_")}


async def _add_users(settings: Settings, users: Iterable[User]) -> None:
    node = await Node(settings).open()
    try:
        for user in users:
            await node.accounts.add(user.username, user.role, user.password, user.display_name)
    finally:
        await node.close()


@contextmanager
def served_node(root: Path, users: Iterable[User]) -> Iterator[ServedNode]:
    """A node with ``users`` under ``root``, served (web app and SMTP, each on a free port)
    until the block ends; then stopped with SIGTERM, which must end it cleanly."""
    values = {"ICOMM_NODE": NODE, "ICOMM_DATA_DIR": str(root / NODE)}
    values["ICOMM_SPOOL_DIR"] = str(root / "spool")
    with pytest.MonkeyPatch.context() as patch:  # the users go where the server looks
        for name in os.environ:
            if name.startswith("ICOMM_"):
                patch.delenv(name)
        for name, value in values.items():
            patch.setenv(name, value)
        settings = Settings()  # type: ignore[call-arg]
    # a thread of its own: Playwright's sync API may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(_add_users(settings, users))).result()
    env = {**_clean_environment(), **values, "ICOMM_WEB_PORT": "0", "ICOMM_SMTP_PORT": "0"}
    env["COLUMNS"] = "250"  # the console must not wrap the lines that give the ports
    log = root / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*ICOMM, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root
        )
    try:
        web_port, smtp_port = _wait_for_ports(server, log)
        node = ServedNode(f"http://127.0.0.1:{web_port}", smtp_port, root / NODE, log)
        assert httpx.get(f"{node.url}/login", timeout=10).status_code == 200
        yield node
    finally:
        server.terminate()
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert code == 0, f"icomm serve ended with {code}:\n{log.read_text(errors='replace')}"


def _wait_for_ports(server: subprocess.Popen[bytes], log: Path) -> tuple[int, int]:
    """The ports ``icomm serve`` announces once both listeners are up."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        text = log.read_text(errors="replace")
        web = re.search(r"web app on https?://[^:\s]+:(\d+)/", text)
        smtp = re.search(r"SMTP ingress on [^\s]+:(\d+) ", text)
        if web and smtp:
            return int(web.group(1)), int(smtp.group(1))
        if server.poll() is not None:
            pytest.fail(f"icomm serve exited with {server.returncode}:\n{text}")
        if time.monotonic() > deadline:
            pytest.fail(f"icomm serve did not listen within {START_SECONDS} s:\n{text}")
        time.sleep(0.05)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, the system's. The caller skips first if it is missing."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Numbered full-page screenshots of one flow: ``<flow>-01-<step>.png`` … in
    ``ICOMM_E2E_SCREENSHOTS`` (default test-artifacts/e2e/). The flow's old ones go first."""

    def __init__(self, flow: str, folder: Path = SCREENSHOTS) -> None:
        self.flow = flow
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{flow}-[0-9][0-9]-*.png"):
            old.unlink()

    def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.flow}-{self.count:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would (from wherever the page is)."""
    if "/login" not in page.url:
        page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
