"""Bulk statements (storage.bulk) write what SQLAlchemy would, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from storage import Database
from storage.bulk import TEXTS_KEPT, BulkSelect, BulkUpdate
from storage.evidence import _SEEN as SEEN  # the seen ids' statement, as the receiver runs it
from storage.mailbox import NewMessage
from storage.models import Delivery, Message, SeenMessage
from storage.outbox import Queued

WHEN = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)


async def test_insert_returns_only_the_rows_inserted_now(db: Database) -> None:
    async with db.transaction() as tx:
        first = await SEEN(tx.session, [("a",), ("b",)], envelope_id="e1", received_at=WHEN)
    async with db.transaction() as tx:
        again = await SEEN(tx.session, [("b",), ("c",)], envelope_id="e2", received_at=WHEN)
    assert sorted(first) == ["a", "b"]
    assert again == ["c"]
    async with db.reading() as tx:
        rows = (await tx.session.scalars(select(SeenMessage).order_by("message_id"))).all()
    assert [(r.message_id, r.envelope_id) for r in rows] == [("a", "e1"), ("b", "e1"), ("c", "e2")]
    assert {r.received_at for r in rows} == {WHEN}


async def test_rows_added_through_the_orm_are_written_first(db: Database) -> None:
    async with db.transaction() as tx:
        tx.session.add(SeenMessage(message_id="a", envelope_id="e0", received_at=WHEN))
        fresh = await SEEN(tx.session, [("a",), ("b",)], envelope_id="e1", received_at=WHEN)
    assert fresh == ["b"]  # "a" was in the table already: the session's row went first
    async with db.reading() as tx:
        held = await tx.session.get(SeenMessage, "a")
    assert held is not None and held.envelope_id == "e0"


async def test_more_rows_than_one_statement_holds_all_come_back(db: Database) -> None:
    ids = [(f"m{n:05d}",) for n in range(2_345)]
    async with db.transaction() as tx:
        returned = await SEEN(tx.session, ids, envelope_id="e", received_at=WHEN)
    assert sorted(returned) == [i for (i,) in ids]


async def test_values_are_converted_as_the_column_types_convert_them(db: Database) -> None:
    tbilisi = timezone(timedelta(hours=4))
    message = NewMessage(
        id="m1",
        type="mail",
        sender="nino@ge",
        recipients=["armen@am", "analysts@ge"],
        subject="seizure\x00report",
        thread_id=None,
        created=WHEN.astimezone(tbilisi),
        origin="local",
        digest="ab" * 32,
        payload=b"\x00\xffsigned",
    )
    async with db.transaction() as tx:
        assert await tx.mailbox.add_message(message)
    async with db.reading() as tx:
        stored = await tx.session.get(Message, "m1")
    assert stored is not None
    assert stored.recipients == ["armen@am", "analysts@ge"]  # JSON
    assert stored.created == WHEN and stored.created.tzinfo == UTC  # stored in UTC
    assert stored.subject == "seizure\ufffdreport"  # the text type's NUL rule
    assert stored.payload == b"\x00\xffsigned"
    assert stored.thread_id is None


async def test_a_time_is_written_in_the_form_the_orm_writes_it(db: Database) -> None:
    """One form of a time in a column, whichever way the row came (SQLite keeps times as
    text, where two forms would compare wrongly): the dialect's, not the driver's."""
    async with db.transaction() as tx:
        tx.session.add(SeenMessage(message_id="orm", envelope_id="e0", received_at=WHEN))
        await SEEN(tx.session, [("bulk",)], envelope_id="e1", received_at=WHEN)
    query = f"SELECT message_id, CAST(received_at AS TEXT) FROM {SeenMessage.__tablename__}"
    async with db.reading() as tx:
        forms = {id_: form for id_, form in await tx.session.execute(text(query))}
    assert forms["bulk"] == forms["orm"]


async def test_a_naive_datetime_is_refused_as_the_column_type_refuses_it(db: Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        async with db.transaction() as tx:
            await SEEN(tx.session, [("a",)], envelope_id="e", received_at=datetime(2026, 1, 1))


async def test_update_sets_each_rows_columns_by_its_key(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.deliveries.expect([("m1", "armen@am"), ("m1", "lena@am"), ("m2", "armen@am")])
    async with db.reading() as tx:
        ids = {
            (r.message_id, r.address): r.id
            for r in (await tx.session.scalars(select(Delivery))).all()
        }
    update = BulkUpdate(Delivery.__table__, ("status", "reason"), key="id", shared=("digest",))
    async with db.transaction() as tx:
        await update(
            tx.session,
            [
                ("failed", "no such user", ids["m1", "lena@am"]),
                ("delivered", None, ids["m2", "armen@am"]),
            ],
            digest="cd" * 32,
        )
    async with db.reading() as tx:
        rows = {
            (r.message_id, r.address): (r.status, r.reason, r.digest)
            for r in (await tx.session.scalars(select(Delivery))).all()
        }
    assert rows == {
        ("m1", "armen@am"): ("pending", None, None),
        ("m1", "lena@am"): ("failed", "no such user", "cd" * 32),
        ("m2", "armen@am"): ("delivered", None, "cd" * 32),
    }


async def test_shared_values_must_be_those_declared(db: Database) -> None:
    async with db.transaction() as tx:
        with pytest.raises(TypeError, match="shared values are"):
            await SEEN(tx.session, [("a",)], envelope_id="e")
        assert await SEEN(tx.session, [], envelope_id="e", received_at=WHEN) == []


async def test_a_failing_bulk_statement_raises_sqlalchemys_error_and_rolls_back(
    db: Database,
) -> None:
    """On SQLite a write transaction's bulk statements run straight on the driver: the
    error is still SQLAlchemy's, and a transaction of nothing but bulk statements is
    still rolled back (the rows before the failure are not committed by the next one)."""
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await SEEN(tx.session, [("a",)], envelope_id="e1", received_at=WHEN)
            await tx.deliveries.expect([("m", "armen@am"), ("m", "armen@am")])
    async with db.transaction() as tx:  # the next transaction on the pooled connection
        await SEEN(tx.session, [("b",)], envelope_id="e2", received_at=WHEN)
    async with db.reading() as tx:
        seen = (await tx.session.scalars(select(SeenMessage.message_id))).all()
        deliveries = (await tx.session.scalars(select(Delivery.message_id))).all()
    assert seen == ["b"]
    assert deliveries == []


async def test_update_by_a_key_of_several_columns_leaves_rows_matching_only_part(
    db: Database,
) -> None:
    async with db.transaction() as tx:
        await tx.deliveries.expect([("m1", "armen@am"), ("m1", "lena@am")])
    update = BulkUpdate(Delivery.__table__, ("status",), key=("message_id", "address"))
    async with db.transaction() as tx:
        await update(tx.session, [("delivered", "m1", "lena@am"), ("delivered", "m2", "armen@am")])
    async with db.reading() as tx:
        rows = {r.address: r.status for r in (await tx.session.scalars(select(Delivery))).all()}
    assert rows == {"armen@am": "pending", "lena@am": "delivered"}


async def test_select_reads_values_as_the_column_types_read_them(db: Database) -> None:
    async with db.transaction() as tx:
        await SEEN(tx.session, [("a",), ("b",)], envelope_id="e1", received_at=WHEN)
    lookup = BulkSelect(SeenMessage.__table__, ("message_id", "received_at"), key="message_id")
    async with db.transaction() as tx:
        rows = await lookup(tx.session, ["a", "b", "not seen"])
    assert sorted(rows) == [("a", WHEN), ("b", WHEN)]  # aware times, as the ORM reads them
    assert all(isinstance(received.tzinfo, type(UTC)) for _, received in rows)


async def test_select_of_more_keys_than_one_statement_holds_finds_them_all(db: Database) -> None:
    ids = [(f"m{n:05d}",) for n in range(2_345)]
    async with db.transaction() as tx:
        await SEEN(tx.session, ids, envelope_id="e", received_at=WHEN)
    lookup = BulkSelect(SeenMessage.__table__, ("message_id",), key="message_id")
    async with db.reading() as tx:  # a read: through SQLAlchemy's connection, not the driver
        found = await lookup(tx.session, [i for (i,) in ids])
    assert sorted(found) == ids


async def test_a_session_that_commits_writes_its_next_rows_in_its_next_transaction(
    db: Database,
) -> None:
    """The connection a transaction's bulk statements go to is looked up once per
    transaction: after a commit, the same session's next rows are not written through
    the connection of the transaction that ended (they would then be lost)."""
    async with db.session() as session:
        await SEEN(session, [("a",)], envelope_id="e1", received_at=WHEN)
        await session.commit()
        await SEEN(session, [("b",)], envelope_id="e2", received_at=WHEN)
        await session.rollback()
        await SEEN(session, [("c",)], envelope_id="e3", received_at=WHEN)
        await session.commit()
    async with db.reading() as tx:
        seen = (await tx.session.scalars(select(SeenMessage.message_id))).all()
    assert sorted(seen) == ["a", "c"]


async def test_statement_texts_are_kept_for_a_bounded_number_of_sizes(db: Database) -> None:
    lookup = BulkSelect(SeenMessage.__table__, ("message_id",), key="message_id")
    async with db.transaction() as tx:
        await SEEN(tx.session, [("a",)], envelope_id="e", received_at=WHEN)
        for size in range(1, TEXTS_KEPT + 10):
            assert await lookup(tx.session, ["a"] + [f"x{n}" for n in range(size - 1)]) == [("a",)]
    assert len(lookup._texts) == TEXTS_KEPT


async def test_pending_rows_come_oldest_first_leaving_out_the_nodes_skipped(db: Database) -> None:
    stored = NewMessage(
        id="f" * 32,
        type="mail",
        sender="nino@ge",
        recipients=["armen@am"],
        subject="s",
        thread_id=None,
        created=datetime.now(UTC),
        origin="local",
        digest=None,
        payload=b"as stored",
    )
    async with db.transaction() as tx:
        await tx.mailbox.add_message(stored)
        await tx.outbox.add(
            [
                Queued("a" * 32, "mail", "am", b"a"),
                Queued("f" * 32, "mail", "ua", None),  # read from its stored row
                Queued("b" * 32, "mail", "lt", b"b"),
                Queued("c" * 32, "mail", "am", b"c"),
            ]
        )
    async with db.transaction() as tx:
        everything = await tx.outbox.pending(10)
        assert [(r.message_id[0], r.node, r.payload) for r in everything] == [
            ("a", "am", b"a"),
            ("f", "ua", b"as stored"),
            ("b", "lt", b"b"),
            ("c", "am", b"c"),
        ]
        assert [r.node for r in await tx.outbox.pending(2)] == ["am", "ua"]
        assert [r.node for r in await tx.outbox.pending(10, skip_nodes=["am"])] == ["ua", "lt"]
        assert await tx.outbox.pending(10, skip_nodes=["am", "ua", "lt"]) == []
