"""The background loop the hub's workers share (:class:`hub.loop.PokedLoop`)."""

from __future__ import annotations

import asyncio

from hub.loop import PokedLoop


class Idle(PokedLoop):
    """Does nothing each turn, then waits a minute unless poked; counts its turns."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = 0

    async def turn(self) -> float:
        self.turns += 1
        return 60.0


async def test_a_poke_cuts_the_pause_short() -> None:
    loop = Idle()
    task = asyncio.create_task(loop.run())
    try:
        for _ in range(3):
            await asyncio.sleep(0.01)
        assert loop.turns == 1
        loop.poke()
        for _ in range(3):
            await asyncio.sleep(0.01)
        assert loop.turns == 2
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=5)


async def test_a_loop_poked_in_the_moment_it_is_cancelled_stops() -> None:
    """A stop that comes with new work still stops the loop: on Python 3.11
    ``asyncio.wait_for`` swallowed a cancellation that came as the event it awaited was
    set, and the loop ran on (a node's stop waited for it forever)."""
    for attempt in range(20):
        loop = Idle()
        task = asyncio.create_task(loop.run())
        for _ in range(attempt % 3 + 1):  # into its pause, a step or more into it
            await asyncio.sleep(0)
        loop.poke()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, f"attempt {attempt}: the loop ran on after it was cancelled"
        assert task.cancelled()
