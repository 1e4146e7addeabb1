"""The background loop the hub's workers share: work, then sleep until poked or due."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TypeVar

T = TypeVar("T")


async def woken(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set, for ``seconds`` at most.

    Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancellation that comes in the
    moment the event is set, and a loop cancelled to stop ran on (whatever awaited its end
    waited forever). ``asyncio.timeout`` tells its own expiry from a cancellation.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class PokedLoop:
    """Runs ``turn`` over and over; ``poke`` cuts the pause short when there is new work.

    ``turn`` does one round of work and returns how long to pause before the next
    (it handles its own errors: a loop that dies stops the hub quietly).
    """

    def __init__(self) -> None:
        self._wakeup = asyncio.Event()
        self._later: asyncio.TimerHandle | None = None

    def poke(self) -> None:
        """New work may be waiting (a later poke still due is then not needed)."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        self._wakeup.set()

    def poke_later(self, delay: float) -> None:
        """New work that may wait up to ``delay`` seconds: work arriving meanwhile is done in
        the same turn (and any ``poke`` takes it along sooner)."""
        if self._later is None:
            self._later = asyncio.get_running_loop().call_later(delay, self.poke)

    async def run(self) -> None:
        while True:
            self._wakeup.clear()
            pause = await self.turn()
            await woken(self._wakeup, pause)

    async def finished_or_poked(
        self, tasks: set[asyncio.Task[T]]
    ) -> tuple[set[asyncio.Task[T]], bool]:
        """Within a turn: wait until one of ``tasks`` finishes or new work is poked. The
        tasks finished by then, and whether a poke came (taken: the turn does that work
        itself, instead of a next turn after the slowest of ``tasks``)."""
        poke = asyncio.ensure_future(self._wakeup.wait())
        try:
            done, _ = await asyncio.wait({*tasks, poke}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            poke.cancel()
        poked = self._wakeup.is_set()
        self._wakeup.clear()
        return {task for task in done if task is not poke}, poked

    async def turn(self) -> float:
        raise NotImplementedError
