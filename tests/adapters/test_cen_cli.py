"""``icomm cen``: what will leave, the one-click transmission, and nothing sent twice."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import complete_seizure
from typer.testing import CliRunner

from adapters.casestore import CaseStore
from hub.cli import app
from hub.config import Settings
from hub.node import Node
from keys import NodeKeyring

pytestmark = pytest.mark.usefixtures("clean_env")
runner = CliRunner()
PASSWORD = "correct horse battery staple"


def icomm(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"ICOMM_NODE": "ge"})
    return result.exit_code, result.stdout, result.stderr


def validated_case(data_dir: Path) -> None:
    async def enter() -> None:
        async with Node(Settings(node="ge", data_dir=data_dir)) as node:
            store = CaseStore(node)
            case = await store.create("nino", complete_seizure(case_number="GE-2026-0777"))
            await store.submit("nino", case.ref)
            await store.validate("giorgi", case.ref)

    asyncio.run(enter())


def test_cen_pending_then_one_click_transmit_then_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "ge"
    assert icomm(data, "users", "add", "nino", "--password", PASSWORD)[0] == 0
    assert icomm(data, "users", "add", "giorgi", "--role", "admin", "--password", PASSWORD)[0] == 0
    wco_keys = tmp_path / "wco.jwks"
    wco_keys.write_text(json.dumps(NodeKeyring.create(tmp_path / "wco", "wco").public_jwks()))
    assert icomm(data, "keys", "import", "wco", str(wco_keys))[0] == 0
    validated_case(data)

    code, out, _ = icomm(data, "cen", "pending")
    assert code == 0 and "GE-2026-0777" in out and "12.5 kg cocaine" in out
    assert "never leaves this node" in out and "suspect.surname" in out

    code, _, err = icomm(data, "cen", "transmit", "--user", "nino")
    assert code == 1 and "needs admin" in err
    code, out, _ = icomm(data, "cen", "transmit", "--user", "giorgi")
    assert code == 0 and "1 seizure(s) queued for cen@wco" in out
    code, out, _ = icomm(data, "cen", "transmit", "--user", "giorgi")
    assert code == 0 and "nothing to send" in out


def test_cen_feed_is_only_kept_at_the_wco_node(tmp_path: Path) -> None:
    code, _, err = icomm(tmp_path / "ge", "cen", "feed")
    assert code == 1 and "not the WCO's node" in err
