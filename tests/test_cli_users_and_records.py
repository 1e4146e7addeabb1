"""``icomm users``, ``icomm quarantine``, ``icomm envelopes`` and configuration, run as a user would."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings, load_settings
from hub.errors import Reason
from hub.node import Node

pytestmark = pytest.mark.usefixtures("clean_env")
runner = CliRunner()
PASSWORD = "correct horse battery staple"


def icomm(data_dir: Path | None, *args: str, node: str | None = "ge") -> tuple[int, str, str]:
    env = {"ICOMM_NODE": node} if node is not None else {}
    where = ["--data-dir", str(data_dir)] if data_dir is not None else []
    result = runner.invoke(app, [*args, *where], env=env)
    return result.exit_code, result.stdout, result.stderr


def user_rows(out: str) -> dict[str, list[str]]:
    """The rows of ``users list``'s table, by address."""
    rows = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if "@" in cells[0]:
            rows[cells[0]] = cells
    return rows


def authenticates(data_dir: Path, username: str, password: str) -> bool:
    async def check() -> bool:
        async with Node(Settings(node="ge", data_dir=data_dir)) as node:
            return await node.accounts.authenticate(username, password) is not None

    return asyncio.run(check())


def test_added_user_is_listed_with_role_and_state(tmp_path: Path) -> None:
    code, out, _ = icomm(
        tmp_path, "users", "add", "nino", "--role", "admin", "--password", PASSWORD,
        "--name", "Nino Beridze",
    )  # fmt: skip
    assert code == 0
    assert "nino@ge" in out and "role=admin" in out and "active" in out

    code, out, _ = icomm(tmp_path, "users", "list")
    assert code == 0
    assert user_rows(out) == {"nino@ge": ["nino@ge", "Nino Beridze", "admin", "active"]}
    assert authenticates(tmp_path, "nino", PASSWORD)


def test_deactivate_activate_and_set_role_show_in_the_list(tmp_path: Path) -> None:
    icomm(tmp_path, "users", "add", "nino", "--password", PASSWORD)

    code, out, _ = icomm(tmp_path, "users", "deactivate", "nino")
    assert code == 0 and "deactivated" in out
    assert user_rows(icomm(tmp_path, "users", "list")[1])["nino@ge"][3] == "deactivated"

    code, out, _ = icomm(tmp_path, "users", "set-role", "nino", "analyst")
    assert code == 0 and "role=analyst" in out
    assert user_rows(icomm(tmp_path, "users", "list")[1])["nino@ge"][2:] == [
        "analyst",
        "deactivated",
    ]

    code, _, _ = icomm(tmp_path, "users", "activate", "nino")
    assert code == 0
    assert user_rows(icomm(tmp_path, "users", "list")[1])["nino@ge"][3] == "active"


def test_display_name_with_square_brackets_is_listed_verbatim(tmp_path: Path) -> None:
    name = "Nino [/] [bold]Beridze"
    code, _, err = icomm(tmp_path, "users", "add", "nino", "--password", PASSWORD, "--name", name)
    assert code == 0, err
    code, out, err = icomm(tmp_path, "users", "list")
    assert code == 0, err
    assert user_rows(out)["nino@ge"][1] == name


def test_reset_password_without_one_shows_a_generated_password_that_works(
    tmp_path: Path,
) -> None:
    icomm(tmp_path, "users", "add", "nino", "--password", PASSWORD)
    code, out, err = icomm(tmp_path, "users", "reset-password", "nino")
    assert code == 0
    match = re.search(r"generated password \(shown once\): (\S+)", err)
    assert match is not None, err
    generated = match.group(1)
    assert generated not in out  # only on stderr, away from anything piped
    assert authenticates(tmp_path, "nino", generated)
    assert not authenticates(tmp_path, "nino", PASSWORD)


@pytest.mark.parametrize(
    "command",
    [
        ["deactivate", "ghost"],
        ["activate", "ghost"],
        ["set-role", "ghost", "admin"],
        ["reset-password", "ghost", "--password", PASSWORD],
    ],
    ids=lambda command: command[0],
)
def test_changing_an_unknown_user_exits_1_with_a_clear_message(
    tmp_path: Path, command: list[str]
) -> None:
    code, _, err = icomm(tmp_path, "users", *command)
    assert code == 1
    assert "no user 'ghost' at this node" in err


def test_bad_user_name_exits_1_saying_what_is_allowed(tmp_path: Path) -> None:
    code, _, err = icomm(tmp_path, "users", "add", "Bad Name", "--password", PASSWORD)
    assert code == 1
    assert "cannot be a user name" in err and "a-z 0-9" in err
    assert user_rows(icomm(tmp_path, "users", "list")[1]) == {}


def test_short_password_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    code, _, err = icomm(tmp_path, "users", "add", "nino", "--password", "too short")
    assert code == 1
    assert "at least 12 characters" in err


def test_quarantine_of_a_fresh_node_is_empty(tmp_path: Path) -> None:
    code, out, _ = icomm(tmp_path, "quarantine", "list")
    assert code == 0
    assert "the quarantine is empty" in out


def test_quarantine_list_shows_the_reason_and_detail_of_a_refused_message(
    tmp_path: Path,
) -> None:
    envelope_id = uuid.uuid4().hex

    async def refuse_garbage() -> str:
        async with Node(Settings(node="ge", data_dir=tmp_path)) as node:
            node.run()
            await node.transport.publish("ge", envelope_id, b"GET / HTTP/1.1\r\n")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                async with node.db.transaction() as tx:
                    items = await tx.quarantine.list()
                if items:
                    return items[0].detail
                await asyncio.sleep(0.02)
            pytest.fail("the garbage was never quarantined")

    detail = asyncio.run(refuse_garbage())
    code, out, _ = icomm(tmp_path, "quarantine", "list")
    assert code == 0
    assert Reason.MALFORMED.value in out
    assert detail and detail in out
    assert envelope_id in out


def test_quarantine_list_shows_square_brackets_in_a_detail_verbatim(tmp_path: Path) -> None:
    # details quote what arrived (and pydantic's "[type=missing, ...]"): never console markup
    details = [
        "subject\n  Field required [type=missing, input_value={}, input_type=dict]",
        "not addressed to this node: [/] [bold]olena@ua",
    ]

    async def quarantine() -> None:
        async with Node(Settings(node="ge", data_dir=tmp_path)) as node:
            async with node.db.transaction() as tx:
                for detail in details:
                    await tx.quarantine.add(Reason.SCHEMA, detail, b"raw")

    asyncio.run(quarantine())
    code, out, err = icomm(tmp_path, "quarantine", "list")
    assert code == 0, err
    assert "[type=missing, input_value={}, input_type=dict]" in out
    assert "[/] [bold]olena@ua" in out


def test_exporting_envelopes_of_a_fresh_node_writes_none_and_says_so(tmp_path: Path) -> None:
    target = tmp_path / "export"
    code, out, _ = icomm(tmp_path / "ge", "envelopes", "export", str(target))
    assert code == 0
    assert "wrote 0 envelope(s)" in out
    assert target.is_dir() and list(target.iterdir()) == []


def test_settings_come_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "icomm.toml"
    config.write_text(f'node = "am"\ndata_dir = "{tmp_path / "am"}"\n')
    code, out, _ = icomm(
        None, "users", "add", "armen", "--password", PASSWORD, "--config", str(config), node=None
    )
    assert code == 0 and "armen@am" in out
    code, out, _ = icomm(None, "users", "list", "--config", str(config), node=None)
    assert code == 0
    assert "armen@am" in user_rows(out)
    assert (tmp_path / "am" / "icomm.db").is_file()


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "icomm.toml"
    config.write_text(f'node = "am"\ndata_dir = "{tmp_path / "ua"}"\n')
    code, out, _ = icomm(
        None, "users", "add", "olena", "--password", PASSWORD, "--config", str(config), node="ua"
    )
    assert code == 0 and "olena@ua" in out


def test_invalid_node_id_exits_2_naming_the_problem(tmp_path: Path) -> None:
    code, out, err = icomm(tmp_path, "users", "list", node="georgia")
    assert code == 2
    assert "configuration error" in err
    assert "node id 'georgia' is not an ISO 3166 alpha-2 code" in err
    assert out == ""


def test_missing_config_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    code, _, err = icomm(tmp_path, "users", "list", "--config", str(missing))
    assert code == 2
    assert "configuration error" in err and "nowhere.toml" in err


def test_data_dir_remembers_its_node(tmp_path: Path) -> None:
    data_dir = tmp_path / "am"
    code, _, _ = icomm(data_dir, "users", "add", "armen", "--password", PASSWORD, node="am")
    assert code == 0

    assert load_settings(data_dir=data_dir).node == "am"
    code, out, _ = icomm(data_dir, "users", "list", node=None)
    assert code == 0
    assert "armen@am" in user_rows(out)


def test_error_text_with_square_brackets_is_printed_verbatim(tmp_path: Path) -> None:
    code, _, err = icomm(tmp_path, "users", "add", "[/]", "--password", PASSWORD)
    assert code == 1
    assert "'[/]' cannot be a user name" in " ".join(err.split())


def test_groups_are_created_listed_and_changed(tmp_path: Path) -> None:
    for name in ("giorgi", "tamar"):
        assert icomm(tmp_path, "users", "add", name, "--password", PASSWORD)[0] == 0
    assert icomm(tmp_path, "groups", "add", "Analysts")[0] == 0
    assert icomm(tmp_path, "groups", "add-member", "analysts", "giorgi")[0] == 0
    assert icomm(tmp_path, "groups", "add-member", "analysts", "tamar")[0] == 0
    assert icomm(tmp_path, "groups", "remove-member", "analysts", "giorgi")[0] == 0
    code, out, _ = icomm(tmp_path, "groups", "list")
    assert code == 0 and "analysts@ge" in out and "tamar" in out and "giorgi" not in out


def test_group_errors_are_clear(tmp_path: Path) -> None:
    assert icomm(tmp_path, "users", "add", "tamar", "--password", PASSWORD)[0] == 0
    code, _, err = icomm(tmp_path, "groups", "add-member", "nobody", "tamar")
    assert code == 1 and "no group 'nobody'" in err
    assert icomm(tmp_path, "groups", "add", "tamar")[0] == 1  # a user's name
    assert icomm(tmp_path, "groups", "add", "analysts")[0] == 0
    code, _, err = icomm(tmp_path, "groups", "remove-member", "analysts", "tamar")
    assert code == 1 and "not a member" in err


def test_an_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ICOMM_SMTP_CERT_FILE", "ICOMM_MAIL_DOMAIN", "ICOMM_AMQP_URL"):
        monkeypatch.setenv(name, "")  # what docker compose passes for "${X:-}"
    settings = Settings(node="ge")
    assert settings.smtp_cert_file is None and settings.amqp_url is None
    assert settings.effective_mail_domain == "ge.icomm.example"


def test_users_notify_and_language(tmp_path: Path) -> None:
    icomm(tmp_path, "users", "add", "levan", "--password", PASSWORD)
    code, out, err = icomm(tmp_path, "users", "notify", "levan", "levan@customs.example")
    assert code == 0 and "notices go to levan@customs.example" in out
    assert "no relay is configured yet" in err
    code, out, _ = icomm(tmp_path, "users", "notify", "levan", "--off")
    assert code == 0 and "notices off" in out
    assert icomm(tmp_path, "users", "notify", "levan")[0] == 1  # neither address nor --off
    code, out, _ = icomm(tmp_path, "users", "language", "levan", "ka")
    assert code == 0 and "language ka" in out
    code, _, err = icomm(tmp_path, "users", "language", "levan", "fr")
    assert code == 1 and "choose one of en, ka, ru" in err
