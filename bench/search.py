"""Search and export: query times over a full node, and the export's peak memory.

One node (``am``, SQLite, not running) is filled, untimed, with ``messages`` mails (about
1 KiB of varied English, Georgian or Russian text each, ``bench.text``): all in one
inbox but every hundredth, which goes to a colleague's (a small mailbox among many
messages); and with ``cases`` validated seizures and as many suspects. Then the queries a
desk officer makes are timed, round robin, through the node's and the case store's own
interfaces:

- suspect by name (a surname's first letters: ``CaseStore.search``),
- suspect by passport number (``CaseStore.search``),
- cases by commodity category and by a month of dates (``CaseStore.list``, newest 50),
- the inbox, newest 50 (``Mailbox.folder``),
- mail search, newest 50 (``Mailbox.search``, through the full-text index): a word of the
  mails' vocabulary (common or rare), two words, a word and the first letters of another
  (typing), a case number found in one mail, and a common word in the colleague's small
  mailbox.

The mail searches' own p95 is the "message search" figure. Then the seizures are topped up
to ``export_rows`` and exported to CSV by a child process, which reports its own peak RSS.

The child is this module run as a program: ``python -m bench.search DATA_DIR NODE DATASET
OUT`` opens the node's database (no transport, no loops), streams ``DATASET`` to ``OUT``
as CSV through the same ``export`` as ``icomm export``, and prints one JSON line: rows,
seconds, and its peak RSS before and after the export.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.casestore import CaseStore
from adapters.extraction import export
from bench import fill, text
from bench.baseline import percentile
from bench.network import BenchNetwork
from hub.config import Settings
from hub.node import Node
from storage.cases import SeizureFilter

NODE = "am"
OWNER = "armen"
COLLEAGUE = "ani"  # every hundredth mail: a small mailbox among many messages
MAIL_SEARCH = "mail search"  # the kinds whose names start so are the message search


@dataclass
class SearchRun:
    messages: int
    cases: int
    queries: int
    p95_ms: float
    message_p95_ms: float
    per_kind: dict[str, dict[str, float]]
    fill_seconds: float
    export: dict[str, Any] = field(default_factory=dict)


async def _fill(node: Node, messages: int, cases: int) -> list[str]:
    """The rows to search; returns surnames and passport numbers that are there."""
    await fill.mails(node.db, OWNER, messages, colleague=COLLEAGUE)
    sample = await fill.suspects(node.db, node.id, cases)
    await fill.seizures(node.db, node.id, cases)
    return [s.surname or "" for s in sample] + [s.documents[0].number for s in sample]


def _queries(
    node: Node, store: CaseStore, known: list[str], messages: int
) -> dict[str, Callable[[], Awaitable[Any]]]:
    rng = random.Random(11)  # noqa: S311 (test data)
    surnames = [k for k in known if not k.startswith("P")] or ["Beridze"]
    numbers = [k for k in known if k.startswith("P")] or ["P000000001"]

    async def by_name() -> Any:
        return await store.search("suspect", name=rng.choice(surnames)[:5])

    async def by_number() -> Any:
        return await store.search("suspect", identifier=rng.choice(numbers))

    async def by_category() -> Any:
        category = rng.choice(fill.CATEGORIES)[0]
        return await store.list(SeizureFilter(category=category), limit=50)

    async def by_month() -> Any:
        since = fill.EPOCH + timedelta(days=rng.randrange(fill.DAYS - 31))
        return await store.list(
            SeizureFilter(since=since, until=since + timedelta(days=30)), limit=50
        )

    async def inbox() -> Any:
        return await node.mailbox.folder(OWNER, limit=50)

    return {
        "suspect by name": by_name,
        "suspect by passport": by_number,
        "cases by category": by_category,
        "cases by month": by_month,
        "inbox newest 50": inbox,
        **_mail_searches(node, messages),
    }


def _mail_searches(node: Node, messages: int) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Searches of the mails' words (``bench.text``): common and rare ones alike."""
    rng = random.Random(13)  # noqa: S311 (test data)
    vocabulary = [word for words in text.LANGUAGES.values() for word in words]
    common = [word for words in text.LANGUAGES.values() for word in words[:20]]
    owners = [n for n in range(min(messages, 100_000)) if n % 100]  # armen's, not ani's

    def search(owner: str, typed: str) -> Awaitable[Any]:
        return node.mailbox.search(owner, typed, limit=50)

    async def a_word() -> Any:
        return await search(OWNER, rng.choice(vocabulary))

    async def two_words() -> Any:
        return await search(OWNER, f"{rng.choice(vocabulary)} {rng.choice(vocabulary)}")

    async def typing() -> Any:
        word = rng.choice([w for w in vocabulary if len(w) > 5])
        return await search(OWNER, f"{rng.choice(vocabulary)} {word[: rng.randrange(3, 6)]}")

    async def case_number() -> Any:
        number = rng.choice(owners or [1])
        return await search(OWNER, f"GE-{2020 + number % 6}-{number:07d}")

    async def small_mailbox() -> Any:
        return await search(COLLEAGUE, rng.choice(common))

    return {
        f"{MAIL_SEARCH}: a word": a_word,
        f"{MAIL_SEARCH}: two words": two_words,
        f"{MAIL_SEARCH}: a word + 3-5 letters": typing,
        f"{MAIL_SEARCH}: a case number": case_number,
        f"{MAIL_SEARCH}: small mailbox": small_mailbox,
    }


async def _time(
    queries: dict[str, Callable[[], Awaitable[Any]]], total: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each query's times (ms), and how many of its runs found something."""
    timings: dict[str, list[float]] = {kind: [] for kind in queries}
    found = dict.fromkeys(queries, 0)
    for query in queries.values():  # once each, untimed: statement caches warm
        await query()
    for number in range(total):
        kind = list(queries)[number % len(queries)]
        start = time.perf_counter()
        result = await queries[kind]()
        timings[kind].append((time.perf_counter() - start) * 1000)
        found[kind] += bool(result)
    return timings, found


def _peak_kib() -> int:
    """This process's peak RSS in KiB: the kernel's ``VmHWM``.

    Not ``ru_maxrss``: a child started by (v)fork and exec inherits its parent's peak in
    ``ru_maxrss`` (Linux carries it over at exec), so a big parent would mask the export's
    own. ``ru_maxrss`` is only the fallback where there is no ``/proc``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def export_alone(data_dir: Path, node_id: str, dataset: str, out: Path) -> dict[str, float]:
    settings = Settings(
        node=node_id,
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{(data_dir / 'icomm.db').resolve()}",
        spool_dir=data_dir / "spool",
        amqp_url=None,
        key_passphrase=None,
    )  # type: ignore[call-arg]
    node = await Node(settings).open()
    try:
        before = _peak_kib()
        start = time.perf_counter()
        rows = await export(CaseStore(node), dataset, "csv", out)
        seconds = time.perf_counter() - start
    finally:
        await node.close()
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_kib_before": before,
        "peak_kib": _peak_kib(),
    }


async def _export_in_child(data_dir: Path, rows: int) -> dict[str, Any]:
    out_dir = Path(tempfile.mkdtemp(prefix="icomm-bench-export-"))
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.search",
            str(data_dir),
            NODE,
            "seizures",
            str(out_dir / "seizures.csv"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"the export child failed: {err.decode()[-2000:]}")
        report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    report["peak_rss_mb"] = report["peak_kib"] / 1024
    report["peak_rss_before_export_mb"] = report["peak_kib_before"] / 1024
    # for comparison only: inherits this (large) process's peak across the child's exec
    report["ru_maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if report["rows"] != rows:
        raise RuntimeError(f"the export wrote {report['rows']} rows, not {rows}")
    return report


async def search_and_export(
    network: BenchNetwork, messages: int, cases: int, queries: int, export_rows: int
) -> SearchRun:
    node = await network.add(NODE, run=False)
    store = CaseStore(node)
    began = time.perf_counter()
    known = await _fill(node, messages, cases)
    fill_seconds = time.perf_counter() - began
    timings, found = await _time(_queries(node, store, known, messages), queries)
    if not any(hits for kind, hits in found.items() if kind.startswith(MAIL_SEARCH)):
        raise RuntimeError("no message search found anything: the mails are not indexed")
    every = [value for values in timings.values() for value in values]
    mail = [v for kind, values in timings.items() if kind.startswith(MAIL_SEARCH) for v in values]
    per_kind = {
        kind: {
            "p50_ms": percentile(v, 0.5),
            "p95_ms": percentile(v, 0.95),
            "max_ms": max(v),
            "found_share": found[kind] / len(v),
        }
        for kind, v in timings.items()
        if v
    }
    run = SearchRun(
        messages,
        cases,
        queries,
        percentile(every, 0.95),
        percentile(mail, 0.95),
        per_kind,
        fill_seconds,
    )
    if export_rows > cases:
        await fill.seizures(node.db, node.id, export_rows - cases)
    await node.close()
    network.nodes.pop(NODE)
    run.export = await _export_in_child(network.root / NODE, export_rows)
    return run


def main(argv: list[str]) -> None:
    data_dir, node_id, dataset, out = argv
    report = asyncio.run(export_alone(Path(data_dir), node_id, dataset, Path(out)))
    report["bytes"] = Path(out).stat().st_size
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
