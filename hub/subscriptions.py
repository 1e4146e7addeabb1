"""Subscriptions: how an adapter receives the messages of its address.

An adapter (the case stores, the CEN feed) owns a service mailbox at this node, such
as ``cases@ge``, and subscribes a handler to it. Messages are filed into that
mailbox like any other (exactly once, in the same transaction as their arrival);
the subscription hands the unread ones to the handler in arrival order, a batch at a
time (so that an adapter can file a batch in one transaction), and marks them read
only when the handler returns. A handler that raises gets the batch again later, and
so does one interrupted by a restart: at-least-once to the handler, nothing lost, and
the adapter never touches the hub's tables.

A node may instead hand what arrives *from other nodes* for such an address straight to
the adapter (``Node.hand_over``), inside the transaction that receives it: an
:data:`ArrivalHandler` writes its own tables through the receiving transaction
(``Store.joined``), so that they commit with the message's arrival and its receipt —
exactly once, and no mailbox row is written, read back and marked read for it. A message
the handler refuses (not one it takes) goes to the quarantine, and the receipt tells its
sender why; nothing is dropped. A handler that raises rolls the whole envelope back: the
transport delivers it again, and after its last attempt keeps it as a dead letter. The
WCO's CEN intake takes the seizures of every national node this way (the WCO's node alone
7,330 → 8,810 seizures a second; the whole CEN 60.9 → 51.8 s in the same hour); what is
submitted at the node itself still reaches the adapter through its subscription.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from hub.loop import PokedLoop
from hub.mailbox import Mailbox
from message_schemas import Message
from storage import Store

log = logging.getLogger(__name__)

MessageHandler = Callable[[Sequence[Message]], Awaitable[None]]
#: takes messages from other nodes inside the transaction that receives them; answers the
#: ids of those it refuses, each with why (they are quarantined, and the receipt says so)
ArrivalHandler = Callable[[Sequence[Message], Store], Awaitable[Mapping[str, str]]]

POLL_SECONDS = 1.0
BATCH = 100  # unread messages handed over (and marked read) at a time, by default
RETRY_SECONDS = 5.0


class Subscription(PokedLoop):
    def __init__(
        self,
        owner: str,
        handler: MessageHandler,
        mailbox: Mailbox,
        *,
        batch: int = BATCH,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__()
        self.owner = owner
        self.handler = handler
        self.mailbox = mailbox
        self.batch = batch
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
        """Hand every unread message to the handler; True if a batch failed (retried later)."""
        while messages := await self.mailbox.unread(self.owner, self.batch):
            try:
                await self.handler(messages)
            except Exception:
                log.exception(
                    "%s could not take messages %s…; will retry", self.owner, messages[0].id
                )
                return True
            await self.mailbox.mark_read(self.owner, *(m.id for m in messages))
        return False
