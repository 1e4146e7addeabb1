"""``icomm mail``: send with an attachment, list, read, and see the delivery state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app

pytestmark = pytest.mark.usefixtures("clean_env")
runner = CliRunner()
PASSWORD = "correct horse battery staple"


def icomm(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"ICOMM_NODE": "ge"})
    return result.exit_code, result.stdout, result.stderr


def test_mail_sent_with_an_attachment_is_read_and_saved_intact(tmp_path: Path) -> None:
    data = tmp_path / "ge"
    for user in ("nino", "levan"):
        assert icomm(data, "users", "add", user, "--password", PASSWORD)[0] == 0
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7 " + bytes(range(256)) * 40)
    code, out, err = icomm(
        data, "mail", "send", "--from", "nino", "--to", "levan@ge",
        "--subject", "Sarpi seizure", "--body", "See the report.", "--attach", str(report),
    )  # fmt: skip
    assert code == 0, err
    [message_id] = re.findall(r"queued ([0-9a-f]{32})", out)

    code, out, _ = icomm(data, "mail", "list", "--user", "levan")
    assert code == 0 and message_id in out and "Sarpi seizure" in out and "✓" not in out

    saved = tmp_path / "saved"
    code, out, _ = icomm(
        data, "mail", "show", message_id, "--user", "levan", "--save-attachments", str(saved)
    )
    assert code == 0 and "See the report." in out and "report.pdf" in out
    assert (saved / "report.pdf").read_bytes() == report.read_bytes()
    assert "✓" in icomm(data, "mail", "list", "--user", "levan")[1]  # now read

    code, out, _ = icomm(data, "mail", "list", "--user", "nino", "--folder", "sent")
    assert code == 0 and message_id in out and "1 delivered" in out


def test_reading_someone_elses_message_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "ge"
    for user in ("nino", "levan", "tamar"):
        assert icomm(data, "users", "add", user, "--password", PASSWORD)[0] == 0
    out = icomm(data, "mail", "send", "--from", "nino", "--to", "levan@ge", "--subject", "s")[1]
    [message_id] = re.findall(r"queued ([0-9a-f]{32})", out)
    code, _, err = icomm(data, "mail", "show", message_id, "--user", "tamar")
    assert code == 1 and "not in tamar's mailbox" in err


def test_mail_to_an_unknown_partner_node_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "ge"
    assert icomm(data, "users", "add", "nino", "--password", PASSWORD)[0] == 0
    code, _, err = icomm(
        data, "mail", "send", "--from", "nino", "--to", "olena@ua", "--subject", "s"
    )
    assert code == 1 and "no partner node 'ua'" in err and "icomm keys import" in err
