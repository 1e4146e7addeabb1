"""Users, service mailboxes and groups."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import BulkSelect
from storage.errors import AlreadyExists, NotFound
from storage.models import Group, GroupMember, User

_STANDING = BulkSelect(User.__table__, ("username", "active"), key="username")


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, username: str, role: str, password_hash: str | None, display_name: str = ""
    ) -> User:
        if await self.find(username) is not None or await self.find_group(username) is not None:
            raise AlreadyExists(f"the name {username!r} is already taken at this node")
        user = User(
            username=username, role=role, password_hash=password_hash, display_name=display_name
        )
        self.session.add(user)
        await self.session.flush()
        return user

    async def find(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def standing(self, usernames: Collection[str]) -> dict[str, bool]:
        """Whether each of these users is active (a name that is no user is left out):
        one statement, for the senders of a whole group of submissions."""
        return {name: bool(active) for name, active in await _STANDING(self.session, [*usernames])}

    async def get(self, username: str) -> User:
        user = await self.find(username)
        if user is None:
            raise NotFound(f"no user {username!r} at this node")
        return user

    async def list(self, include_services: bool = False) -> Sequence[User]:
        query = select(User).order_by(User.username)
        if not include_services:
            query = query.where(User.role != "service")
        return (await self.session.scalars(query)).all()

    async def set_active(self, username: str, active: bool) -> User:
        user = await self.get(username)
        user.active = active
        user.deactivated_at = None if active else datetime.now(UTC)
        return user

    async def set_role(self, username: str, role: str) -> User:
        user = await self.get(username)
        user.role = role
        return user

    async def set_notice_address(self, username: str, email: str | None) -> User:
        user = await self.get(username)
        user.notify_email = email
        return user

    async def set_language(self, username: str, language: str) -> User:
        user = await self.get(username)
        user.language = language
        return user

    async def set_password_hash(self, username: str, password_hash: str) -> User:
        user = await self.get(username)
        user.password_hash = password_hash
        return user

    async def find_group(self, name: str) -> Group | None:
        return await self.session.scalar(select(Group).where(Group.name == name))

    async def add_group(self, name: str, description: str = "") -> Group:
        if await self.find(name) is not None or await self.find_group(name) is not None:
            raise AlreadyExists(f"the name {name!r} is already taken at this node")
        group = Group(name=name, description=description)
        self.session.add(group)
        await self.session.flush()
        return group

    async def add_member(self, group_name: str, username: str) -> None:
        group = await self.find_group(group_name)
        if group is None:
            raise NotFound(f"no group {group_name!r} at this node")
        user = await self.get(username)
        if await self.session.get(GroupMember, (group.id, user.id)) is None:
            self.session.add(GroupMember(group_id=group.id, user_id=user.id))
            await self.session.flush()

    async def remove_member(self, group_name: str, username: str) -> bool:
        """Take a user out of a group; False when they were not in it."""
        group = await self.find_group(group_name)
        if group is None:
            raise NotFound(f"no group {group_name!r} at this node")
        user = await self.get(username)
        member = await self.session.get(GroupMember, (group.id, user.id))
        if member is None:
            return False
        await self.session.delete(member)
        await self.session.flush()
        return True

    async def groups(self) -> Sequence[Group]:
        return (await self.session.scalars(select(Group).order_by(Group.name))).all()

    async def members(self, group_name: str) -> Sequence[User]:
        query = (
            select(User)
            .join(GroupMember, GroupMember.user_id == User.id)
            .join(Group, Group.id == GroupMember.group_id)
            .where(Group.name == group_name)
            .order_by(User.username)
        )
        return (await self.session.scalars(query)).all()
