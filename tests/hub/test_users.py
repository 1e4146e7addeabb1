"""User accounts: argon2 hashes, authentication, name and password rules, changes."""

from __future__ import annotations

import pytest
from nodes import PASSWORD, Network

from hub.accounts import Role
from hub.errors import AddressError, HubError
from hub.node import Node


@pytest.fixture
async def node(network: Network) -> Node:
    return await network.add("ge", run=False)


async def stored_hash(node: Node, username: str) -> str:
    async with node.db.transaction() as tx:
        return (await tx.users.get(username)).password_hash


async def test_password_is_stored_as_an_argon2id_hash(node: Node) -> None:
    await node.accounts.add("nino", Role.OFFICER, PASSWORD)
    password_hash = await stored_hash(node, "nino")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash


async def test_authenticate_accepts_the_right_password_only(node: Node) -> None:
    await node.accounts.add("nino", Role.ANALYST, PASSWORD, "Nino Beridze")
    account = await node.accounts.authenticate("nino", PASSWORD)
    assert account is not None
    assert (account.username, account.role, account.display_name) == (
        "nino",
        "analyst",
        "Nino Beridze",
    )
    assert await node.accounts.authenticate("nino", PASSWORD + "!") is None
    assert await node.accounts.authenticate("nobody", PASSWORD) is None


async def test_deactivated_user_cannot_authenticate_until_activated(node: Node) -> None:
    await node.accounts.add("nino", Role.OFFICER, PASSWORD)
    assert not (await node.accounts.deactivate("nino")).active
    assert await node.accounts.authenticate("nino", PASSWORD) is None
    assert (await node.accounts.activate("nino")).active
    assert await node.accounts.authenticate("nino", PASSWORD) is not None


async def test_postmaster_service_mailbox_cannot_authenticate(node: Node) -> None:
    async with node.db.transaction() as tx:
        postmaster = await tx.users.get("postmaster")
    assert postmaster.role == "service"
    assert await node.accounts.authenticate("postmaster", PASSWORD) is None
    assert await node.accounts.authenticate("postmaster", "") is None


async def test_postmaster_service_mailbox_cannot_be_changed_as_a_user(node: Node) -> None:
    with pytest.raises(HubError, match="service mailbox"):
        await node.accounts.reset_password("postmaster", PASSWORD)


async def test_password_shorter_than_twelve_characters_is_refused(node: Node) -> None:
    with pytest.raises(HubError, match="at least 12 characters"):
        await node.accounts.add("nino", Role.OFFICER, "elevenchars")
    assert await node.accounts.list_users() == []
    await node.accounts.add("nino", Role.OFFICER, "twelve chars")
    with pytest.raises(HubError, match="at least 12 characters"):
        await node.accounts.reset_password("nino", "short")


@pytest.mark.parametrize("username", ["Bad Name", "postmaster", "", "a" * 65, "-dash", "é"])
async def test_bad_user_name_is_refused_saying_what_is_allowed(node: Node, username: str) -> None:
    with pytest.raises(AddressError, match=r"cannot be a user name: use 1-64 of a-z 0-9 \. _ -"):
        await node.accounts.add(username, Role.OFFICER, PASSWORD)
    assert await node.accounts.list_users() == []


async def test_user_name_of_64_characters_is_accepted(node: Node) -> None:
    account = await node.accounts.add("a" * 64, Role.OFFICER, PASSWORD)
    assert account.username == "a" * 64


async def test_user_names_are_lower_cased(node: Node) -> None:
    account = await node.accounts.add(" Nino.Beridze ", Role.OFFICER, PASSWORD)
    assert account.username == "nino.beridze"
    assert [a.username for a in await node.accounts.list_users()] == ["nino.beridze"]
    assert await node.accounts.authenticate("NINO.BERIDZE", PASSWORD) is not None


async def test_duplicate_user_name_is_refused(node: Node) -> None:
    await node.accounts.add("nino", Role.OFFICER, PASSWORD)
    with pytest.raises(HubError, match="'nino' is already taken"):
        await node.accounts.add("NINO", Role.ADMIN, PASSWORD)
    [account] = await node.accounts.list_users()
    assert account.role == "officer"


async def test_user_name_equal_to_a_group_name_is_refused(node: Node) -> None:
    async with node.db.transaction() as tx:
        await tx.users.add_group("analysts")
    with pytest.raises(HubError, match="'analysts' is already taken"):
        await node.accounts.add("analysts", Role.ANALYST, PASSWORD)


@pytest.mark.parametrize("change", ["set_role", "reset_password", "deactivate", "activate"])
async def test_changing_an_unknown_user_is_an_address_error(node: Node, change: str) -> None:
    arguments: dict[str, tuple[object, ...]] = {
        "set_role": (Role.ADMIN,),
        "reset_password": (PASSWORD,),
    }
    with pytest.raises(AddressError, match="no user 'ghost' at this node"):
        await getattr(node.accounts, change)("ghost", *arguments.get(change, ()))


async def test_set_role_changes_the_role(node: Node) -> None:
    await node.accounts.add("nino", Role.OFFICER, PASSWORD)
    assert (await node.accounts.set_role("nino", Role.ADMIN)).role == "admin"
    [account] = await node.accounts.list_users()
    assert account.role == "admin"


async def test_reset_password_replaces_the_old_one(node: Node) -> None:
    await node.accounts.add("nino", Role.OFFICER, PASSWORD)
    new_password = "a much newer passphrase"
    await node.accounts.reset_password("nino", new_password)
    assert await node.accounts.authenticate("nino", PASSWORD) is None
    assert await node.accounts.authenticate("nino", new_password) is not None


async def test_changes_find_the_user_whatever_the_case_of_the_name(node: Node) -> None:
    await node.accounts.add("Nino", Role.OFFICER, PASSWORD)
    assert (await node.accounts.set_role("NINO", Role.ANALYST)).role == "analyst"
    assert not (await node.accounts.deactivate(" Nino ")).active
    assert (await node.accounts.activate("nINO")).active
    await node.accounts.reset_password("Nino", "a much newer passphrase")
    assert await node.accounts.authenticate("nino", "a much newer passphrase") is not None
