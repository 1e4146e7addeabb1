"""Parties found by the beginnings of their name keys (migration 0008), on SQLite and PostgreSQL.

The name keys are what ``adapters.names`` makes of names: lower-case ASCII letters and
digits. A search gives, per query word, the key beginnings it may stand for; the index
answers with the parties one of whose keys starts so, and must answer exactly what
``str.startswith`` would, whatever the database's collation.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from revisions import migrate
from sqlalchemy import inspect, text

from storage import Database
from storage.cases import CaseTables, PartyRow

KEYS = ["beri", "berize", "berisvili", "beriz", "ka", "kaz", "kaza", "kazbegi", "kb", "a9", "a90"]
KEYS += ["b", "ber", "bez", "nino", "2000", "20", "z", "zz"]
_refs = count(1)


def party(kind: str) -> PartyRow:
    ref = f"{next(_refs):032x}"
    return PartyRow(kind=kind, ref=ref, origin_node="ge", created_by="nino", record={})


async def add(db: Database, kind: str, names: Sequence[str], ids: Sequence[str] = ()) -> int:
    """A party with these name keys and identifier keys; its id."""
    async with db.unit(CaseTables) as tx:
        return (await tx.parties.add(party(kind), names, ids)).id


async def found(
    db: Database,
    kind: str,
    *prefixes: set[str],
    identifier: str | None = None,
    after: int | None = None,
    limit: int = 50,
) -> list[int]:
    """The ids of the parties found, each set of ``prefixes`` being one query word's."""
    async with db.unit(CaseTables) as tx:
        rows = await tx.parties.search(
            kind, name_prefixes=prefixes, identifier=identifier, after=after, limit=limit
        )
        return [row.id for row in rows]


async def test_a_prefix_finds_exactly_the_keys_that_start_with_it(db: Database) -> None:
    ids = {key: await add(db, "suspect", [key]) for key in KEYS}
    for prefix in sorted({key[:cut] for key in KEYS for cut in range(1, len(key) + 1)}):
        expected = sorted(ids[key] for key in KEYS if key.startswith(prefix))
        assert await found(db, "suspect", {prefix}) == expected, prefix
    assert await found(db, "suspect", {"bf"}) == []
    assert await found(db, "suspect", {"kaz", "ber"}) == sorted(
        ids[key] for key in KEYS if key.startswith(("kaz", "ber"))
    )


async def test_every_word_must_start_a_key_of_the_same_party(db: Database) -> None:
    nino = await add(db, "suspect", ["nino", "berize"])
    await add(db, "suspect", ["nino", "kipiani"])
    await add(db, "suspect", ["tamar", "berize"])
    assert await found(db, "suspect", {"nin"}, {"beri", "berz"}) == [nino]


async def test_suspects_and_companies_are_searched_apart(db: Database) -> None:
    suspect = await add(db, "suspect", ["berize"], ["p123"])
    company = await add(db, "company", ["berize", "trans"], ["p123"])
    assert await found(db, "suspect", {"ber"}) == [suspect]
    assert await found(db, "company", {"ber"}) == [company]
    assert await found(db, "company", identifier="p123") == [company]
    assert await found(db, "suspect", {"ber"}, identifier="p123") == [suspect]


async def test_the_next_page_starts_after_the_id_given(db: Database) -> None:
    ids = [await add(db, "suspect", ["berize", str(number)]) for number in range(5)]
    assert await found(db, "suspect", {"ber"}, limit=2) == ids[:2]
    assert await found(db, "suspect", {"ber"}, limit=2, after=ids[1]) == ids[2:4]
    assert await found(db, "suspect", {"ber"}, limit=2, after=ids[4]) == []


async def test_a_changed_name_is_found_by_its_new_keys_only(db: Database) -> None:
    async with db.unit(CaseTables) as tx:
        row = await tx.parties.add(party("suspect"), ["berize"], [])
    async with db.unit(CaseTables) as tx:
        await tx.parties.update(await tx.parties.get("suspect", row.ref), ["kipiani"], [])
    assert await found(db, "suspect", {"ber"}) == []
    assert await found(db, "suspect", {"kip"}) == [row.id]


async def indexes(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {ix["name"] for ix in inspect(sync).get_indexes("case_party_keys")}
        )


async def columns(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("case_party_keys")}
        )


async def key_collation(db: Database) -> str | None:
    """The collation of ``case_party_keys.key`` on PostgreSQL (None: the database's)."""
    async with db.engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns"
                    " WHERE table_name = 'case_party_keys' AND column_name = 'key'"
                )
            )
        ).scalar_one()


async def file_before_0008(db: Database, ref: str, kind: str, name_key: str) -> None:
    """A party and its name key as the code before 0008 wrote them (no party_kind)."""
    async with db.engine.begin() as conn:
        party_id = (
            await conn.execute(
                text(
                    'INSERT INTO case_parties (kind, ref, display_name, "foreign", origin_node,'
                    " created_by, created_at, updated_at, record) VALUES (:kind, :ref, '', false,"
                    " 'ge', 'nino', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}') RETURNING id"
                ),
                {"kind": kind, "ref": ref},
            )
        ).scalar_one()
        await conn.execute(
            text("INSERT INTO case_party_keys (party_id, kind, key) VALUES (:id, 'name', :key)"),
            {"id": party_id, "key": name_key},
        )


async def test_the_migration_keeps_the_parties_found_and_goes_back(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrate(db, "0007")
        await file_before_0008(db, "a" * 32, "suspect", "berize")
        await file_before_0008(db, "b" * 32, "company", "berize")

        await migrate(db, "head")
        assert "ix_case_party_search" in await indexes(db)
        assert "ix_case_party_key" not in await indexes(db)
        [suspect] = await found(db, "suspect", {"beri"})
        [company] = await found(db, "company", {"beri"})
        assert suspect != company
        if db.engine.dialect.name == "postgresql":
            assert await key_collation(db) == "C"

        await migrate(db, "0007", down=True)
        assert "party_kind" not in await columns(db)
        assert await indexes(db) >= {"ix_case_party_key"}
        assert "ix_case_party_search" not in await indexes(db)
        if db.engine.dialect.name == "postgresql":
            assert await key_collation(db) is None  # the database's default again
        await file_before_0008(db, "c" * 32, "suspect", "berisvili")  # as the old code does

        await migrate(db, "head")
        assert len(await found(db, "suspect", {"beri"})) == 2
        assert len(await found(db, "company", {"beri"})) == 1
    finally:
        await db.close()
