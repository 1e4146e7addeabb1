"""``icomm cen``: what will leave, the one-click transmission, nothing sent twice;
``icomm cases share``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from casework import complete_seizure
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


def validated_case(data_dir: Path) -> str:
    async def enter() -> str:
        async with Node(Settings(node="ge", data_dir=data_dir)) as node:
            store = CaseStore(node)
            case = await store.create("nino", complete_seizure(case_number="GE-2026-0777"))
            await store.submit("nino", case.ref)
            await store.validate("giorgi", case.ref)
            return case.ref

    return asyncio.run(enter())


def national_node(tmp_path: Path, partner: str) -> Path:
    """ge's data directory with an officer, an admin, and ``partner``'s keys trusted."""
    data = tmp_path / "ge"
    assert icomm(data, "users", "add", "nino", "--password", PASSWORD)[0] == 0
    assert icomm(data, "users", "add", "giorgi", "--role", "admin", "--password", PASSWORD)[0] == 0
    keys = tmp_path / f"{partner}.jwks"
    keys.write_text(json.dumps(NodeKeyring.create(tmp_path / partner, partner).public_jwks()))
    assert icomm(data, "keys", "import", partner, str(keys))[0] == 0
    return data


def test_cen_pending_then_one_click_transmit_then_nothing_twice(tmp_path: Path) -> None:
    data = national_node(tmp_path, "wco")
    validated_case(data)

    code, out, _ = icomm(data, "cen", "pending")
    assert code == 0 and "GE-2026-0777" in out and "12.5 kg cocaine" in out
    assert "never leaves this node" in out and "suspect.surname" in out

    code, _, err = icomm(data, "cen", "transmit", "--user", "nino")
    assert code == 1 and "needs admin" in err
    code, out, _ = icomm(data, "cen", "transmit", "--user", "giorgi")
    assert code == 0 and "1 seizure(s) queued for cen@wco" in out and "GE-2026-0777" in out
    code, out, _ = icomm(data, "cen", "transmit", "--user", "giorgi")
    assert code == 0 and "nothing to send" in out


def test_cen_feed_is_only_kept_at_the_wco_node(tmp_path: Path) -> None:
    code, _, err = icomm(tmp_path / "ge", "cen", "feed")
    assert code == 1 and "not the WCO's node" in err


def test_share_a_validated_case_with_a_partner_under_a_handling_code(tmp_path: Path) -> None:
    data = national_node(tmp_path, "am")
    ref = validated_case(data)
    share = ("cases", "share", ref, "--handling", "H2", "--user", "giorgi")
    code, out, err = icomm(data, *share, "--to", "am")
    assert code == 0, err
    assert "queued for cases@am under H2 (information only)" in out
    code, _, err = icomm(data, *share, "--to", "ua")
    assert code == 1 and "no partner node 'ua'" in err
