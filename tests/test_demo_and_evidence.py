"""The demo end to end through the command line, and its evidence read by another JOSE library.

Run as a user would: ``icomm demo --data-dir D``, then ``icomm envelopes export`` against
``D/ge`` and ``icomm keys export [--private]`` against the nodes. jwcrypto, given only
the recipient's private JWKS and the sender's public JWKS, decrypts every exported
envelope and verifies every signature in it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from independent_jose import envelope_header
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jws import JWS

ICOMM = [sys.executable, "-c", "from hub.cli import main; main()"]


def icomm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    done = subprocess.run([*ICOMM, *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    out = icomm("demo", "--data-dir", str(root)).stdout
    assert "armen.petrosyan@am: delivered" in out
    assert "intact" in out
    assert "validated, revision 1" in out and '"age_band": "46-55"' in out
    assert "ბერიძე" not in out.split("cen@wco — feed record")[1]  # the name stayed home
    return root


def test_demo_leaves_each_nodes_data_in_its_own_folder(demo_dir: Path) -> None:
    for node in ("ge", "am", "wco"):
        assert (demo_dir / node / "icomm.db").is_file()
        assert (demo_dir / node / "keys" / "keyring.json").is_file()
        for key_file in (demo_dir / node / "keys").glob("*.pem"):
            assert key_file.stat().st_mode & 0o077 == 0


def test_private_export_warns_and_carries_private_parts(demo_dir: Path) -> None:
    done = icomm("keys", "export", "--private", "--data-dir", str(demo_dir / "am"))
    assert all("d" in key for key in json.loads(done.stdout)["keys"])
    assert "PRIVATE" in done.stderr
    public = json.loads(icomm("keys", "export", "--data-dir", str(demo_dir / "am")).stdout)
    assert all("d" not in key for key in public["keys"])


def test_exported_envelopes_open_with_an_independent_jose_library(
    demo_dir: Path, tmp_path: Path
) -> None:
    icomm("envelopes", "export", str(tmp_path), "--data-dir", str(demo_dir / "ge"))
    private = {
        node: JWKSet.from_json(
            icomm("keys", "export", "--private", "--data-dir", str(demo_dir / node)).stdout
        )
        for node in ("ge", "am", "wco")
    }
    public = {
        node: JWKSet.from_json(icomm("keys", "export", "--data-dir", str(demo_dir / node)).stdout)
        for node in ("ge", "am", "wco")
    }
    files = sorted(tmp_path.glob("*.jwe.json"))
    # the mail ge → am and am's receipt back; the seizure ge → wco and wco's receipt back
    assert len(files) == 4
    kinds = set()
    for file in files:
        raw = file.read_text()
        jwe = JWE()
        jwe.deserialize(raw)
        header = envelope_header(jwe)
        recipient = header["to"][0]
        sender = header["from"]
        assert file.stem.removesuffix(".jwe") == header["eid"]
        [entry] = json.loads(raw)["recipients"]
        key: JWK = private[recipient].get_key(entry["header"]["kid"])
        jwe = JWE()
        jwe.deserialize(raw, key=key)
        signed = (
            json.loads(jwe.payload)
            if envelope_header(jwe)["cty"] == "icomm-bundle+json"
            else [jwe.payload.decode()]
        )
        for compact in signed:
            jws = JWS()
            jws.deserialize(compact)
            jws.verify(public[sender].get_key(jws.jose_header["kid"]), alg="Ed25519")
            message = json.loads(jws.payload)
            assert message["from"].endswith(f"@{sender}")
            kinds.add(message["type"])
    assert kinds == {"mail", "receipt", "cen.seizure"}
