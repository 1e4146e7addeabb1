"""Subscriptions: how an adapter receives the messages of its address.

An adapter (the case stores, the CEN feed) owns a service mailbox at this node, such
as ``cases@ge``, and subscribes a handler to it. Messages are filed into that
mailbox like any other (exactly once, in the same transaction as their arrival);
the subscription hands each unread one to the handler in arrival order and marks it
read only when the handler returns. A handler that raises gets the message again
later, and so does one interrupted by a restart: at-least-once to the handler,
nothing lost, and the adapter never touches the hub's tables.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hub.loop import PokedLoop
from hub.mailbox import Mailbox
from message_schemas import Message

log = logging.getLogger(__name__)

MessageHandler = Callable[[Message], Awaitable[None]]

POLL_SECONDS = 1.0
BATCH = 100  # unread messages read and marked read at a time
RETRY_SECONDS = 5.0


class Subscription(PokedLoop):
    def __init__(
        self,
        owner: str,
        handler: MessageHandler,
        mailbox: Mailbox,
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__()
        self.owner = owner
        self.handler = handler
        self.mailbox = mailbox
        self.retry_seconds = retry_seconds

    async def turn(self) -> float:
        """One round of handing over (poked when new mail may have arrived)."""
        try:
            failed = await self.drain()
        except Exception:  # the database is away: the messages wait in the mailbox
            log.exception("cannot read %s's mailbox; will retry", self.owner)
            failed = True
        return self.retry_seconds if failed else POLL_SECONDS

    async def drain(self) -> bool:
        """Hand every unread message to the handler; True if one failed (retried later).

        Messages are marked read a batch at a time, after the handler took them: a
        restart in between hands them over again (at-least-once, as always).
        """
        while items := await self.mailbox.folder(
            self.owner, unread_only=True, in_arrival_order=True, limit=BATCH
        ):
            taken: list[str] = []
            try:
                for item in items:
                    await self.handler(await self.mailbox.restore(item.message))
                    taken.append(item.message.id)
            except Exception:
                log.exception(
                    "%s could not take message %s; will retry",
                    self.owner,
                    items[len(taken)].message.id,
                )
                return True
            finally:
                await self.mailbox.mark_read(self.owner, *taken)
        return False
