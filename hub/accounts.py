"""User accounts: roles, argon2 password hashes, activation.

A deactivated user can neither send nor receive; messages to one come back to the
sender as a non-delivery notice (see :mod:`hub.router`).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import AddressError, HubError
from storage import AlreadyExists, Database, NotFound, Store, StoredUser

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
RESERVED = {"postmaster"}
MIN_PASSWORD = 12

_hasher = PasswordHasher()


class Role(StrEnum):
    OFFICER = "officer"
    ANALYST = "analyst"
    ADMIN = "admin"


LANGUAGES = ("en", "ka", "ru")
"""The interface languages shipped: English, Georgian, Russian."""

NOTICE_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    active: bool
    notify_email: str | None = None
    language: str = "en"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise HubError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; without a hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _decoy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)


class Accounts:
    """Manage the users of one node."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, username: str, role: Role, password: str, display_name: str = ""
    ) -> Account:
        username = _checked_name(username, "user")
        password_hash = hash_password(password)
        async with self.db.transaction() as tx:
            try:
                user = await tx.users.add(username, Role(role).value, password_hash, display_name)
            except AlreadyExists as exc:
                raise HubError(str(exc)) from exc
            return _account(user)

    async def get(self, username: str) -> Account:
        """An active or deactivated user of this node (a service mailbox is not a user)."""
        async with self.db.transaction() as tx:
            user = await tx.users.find(username)
        if user is None or user.role == "service":
            raise AddressError(f"no user {username!r} at this node")
        return _account(user)

    async def list_users(self) -> list[Account]:
        async with self.db.transaction() as tx:
            return [_account(user) for user in await tx.users.list()]

    async def deactivate(self, username: str) -> Account:
        return await self._change(username, lambda tx, name: tx.users.set_active(name, False))

    async def activate(self, username: str) -> Account:
        return await self._change(username, lambda tx, name: tx.users.set_active(name, True))

    async def set_role(self, username: str, role: Role) -> Account:
        return await self._change(
            username, lambda tx, name: tx.users.set_role(name, Role(role).value)
        )

    async def reset_password(self, username: str, password: str) -> Account:
        password_hash = hash_password(password)
        return await self._change(
            username, lambda tx, name: tx.users.set_password_hash(name, password_hash)
        )

    async def set_notice_address(self, username: str, email: str | None) -> Account:
        """Where "a new message is waiting" notices go (None: no notices)."""
        if email is not None and not NOTICE_ADDRESS.match(email := email.strip()):
            raise HubError(f"{email!r} is not an email address")
        return await self._change(
            username, lambda tx, name: tx.users.set_notice_address(name, email)
        )

    async def set_language(self, username: str, language: str) -> Account:
        if language not in LANGUAGES:
            raise HubError(f"no interface in {language!r}: choose one of {', '.join(LANGUAGES)}")
        return await self._change(username, lambda tx, name: tx.users.set_language(name, language))

    async def authenticate(self, username: str, password: str) -> Account | None:
        """The active person ``username`` if ``password`` is theirs, else None (in the same
        time either way); argon2 runs off the event loop, which it would hold ~50 ms."""
        async with self.db.transaction() as tx:
            user = await tx.users.find(username.strip().lower())
        if user is None or not user.active or user.role == "service":
            user = None  # still verify, against a decoy: the same time either way
        stored = user.password_hash if user is not None else None
        matches = await asyncio.to_thread(verify_password, stored, password)
        return _account(user) if user is not None and matches else None

    async def add_group(self, name: str, description: str = "") -> None:
        name = _checked_name(name, "group")
        async with self.db.transaction() as tx:
            try:
                await tx.users.add_group(name, description)
            except AlreadyExists as exc:
                raise HubError(str(exc)) from exc

    async def groups(self) -> dict[str, list[str]]:
        """Every group with its members' user names."""
        async with self.db.transaction() as tx:
            return {
                group.name: [user.username for user in await tx.users.members(group.name)]
                for group in await tx.users.groups()
            }

    async def add_member(self, group: str, username: str) -> None:
        async with self.db.transaction() as tx:
            try:
                await tx.users.add_member(group.strip().lower(), username.strip().lower())
            except NotFound as exc:
                raise AddressError(str(exc)) from exc

    async def remove_member(self, group: str, username: str) -> None:
        async with self.db.transaction() as tx:
            try:
                removed = await tx.users.remove_member(
                    group.strip().lower(), username.strip().lower()
                )
            except NotFound as exc:
                raise AddressError(str(exc)) from exc
        if not removed:
            raise AddressError(f"{username!r} is not a member of {group!r}")

    async def _change(
        self, username: str, change: Callable[[Store, str], Awaitable[StoredUser]]
    ) -> Account:
        username = username.strip().lower()  # stored lower-cased by add()
        async with self.db.transaction() as tx:
            try:
                user = await tx.users.get(username)
                if user.role == "service":
                    raise HubError(f"{username!r} is a service mailbox, not a user")
                return _account(await change(tx, username))
            except NotFound as exc:
                raise AddressError(str(exc)) from exc


def _checked_name(name: str, kind: str) -> str:
    """A user or group name: the local part of an address at this node."""
    name = name.strip().lower()
    if not USERNAME.match(name) or name in RESERVED:
        raise AddressError(
            f"{name!r} cannot be a {kind} name: use 1-64 of a-z 0-9 . _ -, "
            "starting with a letter or digit (and not 'postmaster')"
        )
    return name


def _account(user: StoredUser) -> Account:
    return Account(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        notify_email=user.notify_email,
        language=user.language,
    )
