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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), pause)

    async def turn(self) -> float:
        raise NotImplementedError
