"""The background loop the hub's workers share: work, then sleep until poked or due."""

from __future__ import annotations

import asyncio
import contextlib


class PokedLoop:
    """Runs ``turn`` over and over; ``poke`` cuts the pause short when there is new work.

    ``turn`` does one round of work and returns how long to pause before the next
    (it handles its own errors: a loop that dies stops the hub quietly).
    """

    def __init__(self) -> None:
        self._wakeup = asyncio.Event()

    def poke(self) -> None:
        """New work may be waiting."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            self._wakeup.clear()
            pause = await self.turn()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), pause)

    async def turn(self) -> float:
        raise NotImplementedError
