"""``icomm schemas``: listing the message types and exporting their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli.schemas import app
from message_schemas import MESSAGE_TYPES

runner = CliRunner()


def test_list_shows_every_type_with_its_version() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in MESSAGE_TYPES:
        assert name in result.output
    assert "A mail between people" in result.output


def test_export_writes_the_schemas_and_names_each_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "schemas"
    result = runner.invoke(app, ["export", str(target)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in target.iterdir())
    assert written == sorted(
        [f"{name}.v1.schema.json" for name in MESSAGE_TYPES]
        + ["envelope-header.v1.schema.json", "index.json"]
    )
    for name in written:
        assert name in result.output.replace("\n", "")
    assert json.loads((target / "mail.v1.schema.json").read_text())["$id"].endswith("/mail/v1")


def test_without_a_command_it_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "export" in result.output and "list" in result.output
