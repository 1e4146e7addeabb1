"""``icomm keys``: init, show, export, import, rotate, retire, revoke."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli.keys import app
from keys import NodeKeyring, TrustStore

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ICOMM_CONFIG", "ICOMM_KEY_PASSPHRASE", "ICOMM_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ICOMM_NODE", "ge")


def icomm_keys(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_init_creates_the_keyring_and_prints_its_kids(tmp_path: Path) -> None:
    code, out, _ = icomm_keys(tmp_path, "init")
    assert code == 0
    keyring = NodeKeyring.load(tmp_path / "keys")
    assert keyring.node == "ge"
    assert keyring.signing_kid in out and keyring.encryption_kid in out


def test_init_twice_fails_with_a_clear_error(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    code, _, err = icomm_keys(tmp_path, "init")
    assert code == 1
    assert "already exists" in err


def test_init_with_passphrase_prompts_and_encrypts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, _ = icomm_keys(tmp_path, "init", "--passphrase", stdin="s3cret\ns3cret\n")
    assert code == 0
    code, _, err = icomm_keys(tmp_path, "export")
    assert code == 1 and "locked" in err
    monkeypatch.setenv("ICOMM_KEY_PASSPHRASE", "s3cret")
    code, out, _ = icomm_keys(tmp_path, "export")
    assert code == 0 and json.loads(out)["keys"]


def test_export_prints_only_the_public_jwks_on_stdout(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    code, out, err = icomm_keys(tmp_path, "export")
    assert code == 0
    jwks = json.loads(out)
    assert [k["use"] for k in jwks["keys"]] == ["sig", "enc"]
    assert all("d" not in k for k in jwks["keys"])
    assert err == ""


def test_export_private_includes_private_parts_and_warns_on_stderr(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    code, out, err = icomm_keys(tmp_path, "export", "--private")
    assert code == 0
    assert all("d" in k for k in json.loads(out)["keys"])
    assert "contains PRIVATE keys" in err
    assert "store it offline, encrypted" in err


def test_import_trusts_a_partner_jwks_from_a_file_or_stdin(tmp_path: Path) -> None:
    partner = NodeKeyring.create(tmp_path / "am-keys", "am")
    jwks_file = tmp_path / "am.jwks"
    jwks_file.write_text(json.dumps(partner.public_jwks()))
    code, out, _ = icomm_keys(tmp_path, "import", "am", str(jwks_file))
    assert code == 0
    assert partner.signing_kid in out and partner.encryption_kid in out
    code, _, _ = icomm_keys(tmp_path, "import", "am", "-", stdin=json.dumps(partner.public_jwks()))
    assert code == 0
    trust = TrustStore.open(tmp_path / "keys" / "trust.json")
    assert trust.encryption_kids("am") == [partner.encryption_kid]


def test_import_refuses_a_private_jwks(tmp_path: Path) -> None:
    partner = NodeKeyring.create(tmp_path / "am-keys", "am")
    code, _, err = icomm_keys(
        tmp_path, "import", "am", "-", stdin=json.dumps(partner.private_jwks())
    )
    assert code == 1
    assert "refusing to import a private key" in err


def test_import_refuses_a_bad_node_id_and_non_json(tmp_path: Path) -> None:
    assert icomm_keys(tmp_path, "import", "Armenia", "-", stdin="{}")[0] == 1
    code, _, err = icomm_keys(tmp_path, "import", "am", "-", stdin="not json")
    assert code == 1 and "not JSON" in err


def test_rotate_prints_new_kids_and_asks_to_send_them(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    old = NodeKeyring.load(tmp_path / "keys").signing_kid
    code, out, _ = icomm_keys(tmp_path, "rotate")
    assert code == 0
    new = NodeKeyring.load(tmp_path / "keys").signing_kid
    assert new != old and new in out
    assert "icomm keys export" in out


def test_revoke_own_key_needs_rotation_first_then_unpublishes_it(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    old = NodeKeyring.load(tmp_path / "keys").signing_kid
    code, _, err = icomm_keys(tmp_path, "revoke", old)
    assert code == 1 and "rotate" in err
    icomm_keys(tmp_path, "rotate")
    assert icomm_keys(tmp_path, "revoke", old)[0] == 0
    _, out, _ = icomm_keys(tmp_path, "export")
    assert old not in {k["kid"] for k in json.loads(out)["keys"]}


def test_retire_removes_a_previous_key(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    old = NodeKeyring.load(tmp_path / "keys").encryption_kid
    icomm_keys(tmp_path, "rotate")
    assert icomm_keys(tmp_path, "retire", old)[0] == 0
    _, out, _ = icomm_keys(tmp_path, "export", "--private")
    assert old not in {k["kid"] for k in json.loads(out)["keys"]}


@pytest.mark.parametrize("command", ["retire", "revoke"])
def test_a_kid_beginning_with_a_dash_is_taken_as_the_kid(tmp_path: Path, command: str) -> None:
    icomm_keys(tmp_path, "init")
    code, _, err = icomm_keys(tmp_path, command, "-Xq9_dash-leading-kid")
    assert code == 1 and "-Xq9_dash-leading-kid" in err


def test_revoke_partner_key_and_show_both_tables(tmp_path: Path) -> None:
    icomm_keys(tmp_path, "init")
    partner = NodeKeyring.create(tmp_path / "am-keys", "am")
    icomm_keys(tmp_path, "import", "am", "-", stdin=json.dumps(partner.public_jwks()))
    code, _, _ = icomm_keys(tmp_path, "revoke", "--partner", partner.signing_kid)
    assert code == 0
    trust = TrustStore.open(tmp_path / "keys" / "trust.json")
    assert {k.kid: k.status for k in trust.keys()}[partner.signing_kid] == "revoked"
    result = runner.invoke(app, ["show", "--data-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    own = NodeKeyring.load(tmp_path / "keys")
    for kid in (own.signing_kid, own.encryption_kid, partner.signing_kid):
        assert kid in result.stdout
    assert "keys of node ge" in result.stdout
    assert "trusted partner keys" in result.stdout
    assert "revoked" in result.stdout
