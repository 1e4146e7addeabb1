"""Searching a mailbox through the full-text index the database keeps (migrations 0006, 0007).

Every test runs on SQLite and on PostgreSQL (skipped when no server is reachable): the
index is each database's own (FTS5, tsvector), the behaviour must be the same. Messages
are written as the router writes them (``add_messages``, then ``file_many``), so they
are indexed as a delivery is (on SQLite by ``file_many`` itself, migration 0007).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from revisions import migrate
from sqlalchemy import delete, insert, inspect, select, text, update

from message_schemas import Mail, dump_message
from storage import Database, FolderItem, NewMessage
from storage.mailbox import NEWEST_ENTRIES
from storage.models import MailboxEntry, Message
from storage.search import INDEX, mailbox_word


def row(mail: Mail) -> NewMessage:
    """The row the router stores (attachments aside)."""
    return NewMessage(
        id=mail.id,
        type=mail.type,
        sender=mail.sender,
        recipients=list(mail.to),
        subject=mail.subject,
        thread_id=mail.id,
        created=mail.created,
        origin="local",
        digest=None,
        payload=dump_message(mail),
    )


async def deliver(
    db: Database,
    subject: str,
    body: str = "",
    *,
    to: str = "levan",
    sender: str = "nino@ge",
    rows_only: bool = False,
) -> str:
    """A mail from ``sender`` in ``to``'s inbox (and, from a local sender, in their sent);
    ``rows_only``: its entries written as a release before the index wrote them."""
    mail = Mail(sender=sender, to=[f"{to}@ge"], subject=subject, body=body)
    async with db.transaction() as tx:
        await tx.mailbox.add_messages([(row(mail), [])])
        entries = [(mail.id, to, "inbox")]
        if sender.endswith("@ge"):
            entries.append((mail.id, sender.split("@")[0], "sent"))
        if rows_only:
            rows = [{"message_id": m, "owner": o, "folder": f} for m, o, f in entries]
            await tx.session.execute(insert(MailboxEntry), rows)
        else:
            await tx.mailbox.file_many(entries)
    return mail.id


async def fill_inbox(db: Database, owner: str, count: int, body: str = "") -> list[Mail]:
    """``count`` mails from a partner in ``owner``'s inbox, in one transaction, the
    even-numbered ones with ``body`` (subjects "Report 0", "Report 1" …)."""
    mails = [
        Mail(
            sender="tamar@am",
            to=[f"{owner}@ge"],
            subject=f"Report {number}",
            body="weekly report" + (f" {body}" if body and number % 2 == 0 else ""),
        )
        for number in range(count)
    ]
    async with db.transaction() as tx:
        await tx.mailbox.add_messages([(row(mail), []) for mail in mails])
        await tx.mailbox.file_many([(mail.id, owner, "inbox") for mail in mails])
    return mails


async def search(
    db: Database, owner: str, typed: str, folder: str | None = None, limit: int = 100
) -> list[FolderItem]:
    async with db.transaction() as tx:
        return await tx.mailbox.search(owner, typed, folder, limit=limit)


async def subjects(db: Database, owner: str, typed: str, folder: str | None = None) -> list[str]:
    return [item.message.subject or "" for item in await search(db, owner, typed, folder)]


async def indexed(db: Database, owner: str) -> int:
    """How many index rows carry ``owner``'s mailbox word (the index itself, no join)."""
    async with db.session() as session:
        if session.bind.dialect.name == "postgresql":
            query = text(f"SELECT count(*) FROM {INDEX} WHERE document @@ CAST(:q AS tsquery)")
            return int(await session.scalar(query, {"q": f"'{mailbox_word(owner)}'"}) or 0)
        query = text(f"SELECT count(*) FROM {INDEX} WHERE {INDEX} MATCH :q")
        return int(await session.scalar(query, {"q": f'mailbox : "{mailbox_word(owner)}"'}) or 0)


async def test_a_word_of_the_body_finds_the_message(db: Database) -> None:
    await deliver(db, "Weekly summary", "Nothing to report from the Sarpi crossing.")
    await deliver(db, "Seizure", "Cigarettes in a truck at Kazbegi.")
    assert await subjects(db, "levan", "sarpi") == ["Weekly summary"]
    assert await subjects(db, "levan", "TRUCK") == ["Seizure"]
    assert await subjects(db, "levan", "smuggling") == []


async def test_a_message_filed_alone_and_filed_twice_is_found_once(db: Database) -> None:
    mail = Mail(sender="nino@ge", to=["levan@ge"], subject="Notice", body="Arrival at Poti.")
    async with db.transaction() as tx:
        await tx.mailbox.add_messages([(row(mail), [])])
        assert await tx.mailbox.file(mail.id, "levan", "inbox") is True
    async with db.transaction() as tx:
        assert await tx.mailbox.file(mail.id, "levan", "inbox") is False
        await tx.mailbox.file_many([(mail.id, "levan", "inbox")])
    assert await subjects(db, "levan", "poti") == ["Notice"]
    assert await indexed(db, "levan") == 1


async def test_subject_sender_and_recipients_are_searched_too(db: Database) -> None:
    await deliver(db, "Joint operation", "body", sender="tamar@ge")
    await deliver(db, "Other", "body", sender="giorgi@ge")
    assert await subjects(db, "levan", "joint") == ["Joint operation"]
    assert await subjects(db, "levan", "tamar@ge") == ["Joint operation"]
    assert await subjects(db, "tamar", "levan", "sent") == ["Joint operation"]


async def test_every_word_typed_must_match(db: Database) -> None:
    in_a_truck = await deliver(db, "Cigarettes", "found in a truck")
    await deliver(db, "Cigarettes", "found in a container")
    await deliver(db, "Cocaine", "found in a truck")
    found = await search(db, "levan", "truck cigarettes")
    assert [item.message.id for item in found] == [in_a_truck]
    assert await subjects(db, "levan", "cocaine container") == []


async def test_the_last_word_matches_as_a_prefix_from_three_characters(db: Database) -> None:
    await deliver(db, "Seizure of cigarettes", "Sarpi")
    assert await subjects(db, "levan", "sarpi cig") == ["Seizure of cigarettes"]
    assert await subjects(db, "levan", "sarpi cigarettes") == ["Seizure of cigarettes"]
    assert await subjects(db, "levan", "cig sarpi") == []  # only the last word is a prefix
    assert await subjects(db, "levan", "sarpi ci") == []  # two letters: a whole word only
    assert await subjects(db, "levan", "seizure of") == ["Seizure of cigarettes"]


async def test_georgian_and_cyrillic_words_are_found_in_either_case(db: Database) -> None:
    await deliver(db, "ამოღება", "სიგარეტი ნაპოვნია სატვირთო მანქანაში")
    await deliver(db, "ᲡᲐᲑᲐᲟᲝ ᲙᲝᲜᲢᲠᲝᲚᲘ", "Mtavruli, the Georgian capitals")
    await deliver(db, "Изъятие", "СИГАРЕТЫ обнаружены в грузовике")
    assert await subjects(db, "levan", "სიგარეტი") == ["ამოღება"]
    assert await subjects(db, "levan", "მანქ") == ["ამოღება"]
    assert await subjects(db, "levan", "საბაჟო") == ["ᲡᲐᲑᲐᲟᲝ ᲙᲝᲜᲢᲠᲝᲚᲘ"]
    assert await subjects(db, "levan", "ᲐᲛᲝᲦᲔᲑᲐ") == ["ამოღება"]
    assert await subjects(db, "levan", "сигареты") == ["Изъятие"]
    assert await subjects(db, "levan", "ГРУЗОВ") == ["Изъятие"]
    assert await subjects(db, "levan", "изъятие") == ["Изъятие"]


async def test_latin_accents_are_ignored(db: Database) -> None:
    await deliver(db, "Café Ünïcödé", "naïve")
    assert await subjects(db, "levan", "cafe unicode") == ["Café Ünïcödé"]
    assert await subjects(db, "levan", "NAÏVE") == ["Café Ünïcödé"]


async def test_another_owners_mail_is_never_found(db: Database) -> None:
    await deliver(db, "For levan", "cigarettes", to="levan", sender="nino@ge")
    await deliver(db, "For levan.b", "cigarettes", to="levan.b", sender="tamar@am")
    await deliver(db, "For lev", "cigarettes", to="lev", sender="tamar@am")
    assert await subjects(db, "levan", "cigarettes") == ["For levan"]
    assert await subjects(db, "lev", "cigarettes") == ["For lev"]
    assert await subjects(db, "nino", "cigarettes") == ["For levan"]  # her sent copy
    assert await subjects(db, "tamar", "cigarettes") == []  # sent from another node
    assert await subjects(db, "levan", "levan") == ["For levan"]


@pytest.mark.parametrize("most_of_the_mail", [False, True])
async def test_a_mailbox_word_typed_finds_only_the_mail_that_holds_it(
    db: Database, request: pytest.FixtureRequest, most_of_the_mail: bool
) -> None:
    """The index's own mailbox words (names in hex) typed, in any spelling, find the
    mails whose text holds them, never the whole mailbox they name — whether the search
    goes through the mailbox's index word or, in a mailbox holding most of the mail,
    through the words typed alone."""
    if db.engine.dialect.name == "postgresql":
        reason = "the tsvector keeps no column: a mailbox word typed matches the whole mailbox"
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    if most_of_the_mail:
        await fill_inbox(db, "levan", NEWEST_ENTRIES)
    word, folder_word = mailbox_word("levan"), mailbox_word("levan", "inbox")
    await deliver(db, "Weekly summary", "Nothing to report.")
    await deliver(db, "Codes", f"Ticket {word} and {folder_word}.")
    for typed in (word, word.upper(), f"{word[:-1]}é", folder_word, word[:4], f"ticket {word}"):
        assert await subjects(db, "levan", typed) == ["Codes"], typed


async def test_a_mailbox_holding_most_of_the_mail_finds_its_own_mail_only(db: Database) -> None:
    """Searched by its words alone (its index word would be a list as long as the
    index), levan's mailbox still yields only his mail, and nino's small one only hers."""
    for number in range(3):
        await deliver(db, f"For nino {number}", "cigarettes", to="nino", sender="tamar@am")
    mails = await fill_inbox(db, "levan", NEWEST_ENTRIES // 2 + 12, "cigarettes")
    await deliver(db, "Sent cigarettes", "cigarettes", to="nino", sender="levan@ge")
    async with db.session() as session:
        newest = await session.scalars(
            select(MailboxEntry.owner).order_by(MailboxEntry.id.desc()).limit(NEWEST_ENTRIES)
        )
        assert list(newest).count("levan") * 2 > NEWEST_ENTRIES

    found = await subjects(db, "levan", "cigarettes")
    reports = [f"Report {n}" for n in reversed(range(len(mails))) if n % 2 == 0]
    assert found == ["Sent cigarettes", *reports]
    assert await subjects(db, "levan", "cigarettes", "sent") == ["Sent cigarettes"]
    every = [f"Report {n}" for n in reversed(range(len(mails)))]
    assert await subjects(db, "levan", "weekly rep") == every[:100]  # the default limit
    assert await subjects(db, "nino", "cigarettes") == [
        "Sent cigarettes",
        *(f"For nino {number}" for number in reversed(range(3))),
    ]


async def test_the_folder_narrows_the_search(db: Database) -> None:
    await deliver(db, "Incoming seizure", to="nino", sender="levan@ge")
    await deliver(db, "Outgoing seizure", to="levan", sender="nino@ge")
    assert await subjects(db, "nino", "seizure", "inbox") == ["Incoming seizure"]
    assert await subjects(db, "nino", "seizure", "sent") == ["Outgoing seizure"]
    assert await subjects(db, "nino", "seizure") == ["Outgoing seizure", "Incoming seizure"]


async def test_a_mail_to_oneself_is_listed_once_and_newest_come_first(db: Database) -> None:
    for number in range(12):
        await deliver(db, f"Note {number}", "reminder", to="nino", sender="nino@ge")
    found = await subjects(db, "nino", "reminder")
    assert found == [f"Note {number}" for number in reversed(range(12))]
    assert await subjects(db, "nino", "reminder", "inbox") == found
    # each mail twice in the index (inbox, sent): ten of them take more than one page
    limited = await search(db, "nino", "reminder", limit=10)
    assert [item.message.subject for item in limited] == found[:10]


async def test_read_state_comes_with_the_results(db: Database) -> None:
    first = await deliver(db, "Seizure one")
    await deliver(db, "Seizure two")
    async with db.transaction() as tx:
        await tx.mailbox.mark_read([first], "levan")
    found = {item.message.subject: item.read_at for item in await search(db, "levan", "seiz")}
    assert found["Seizure one"] is not None and found["Seizure two"] is None


async def test_a_deleted_message_leaves_the_index(db: Database) -> None:
    gone = await deliver(db, "Seizure", "cigarettes", to="levan", sender="nino@ge")
    await deliver(db, "Seizure", "cocaine", to="levan", sender="tamar@am")
    assert await indexed(db, "levan") == 2 and await indexed(db, "nino") == 1
    async with db.session() as session, session.begin():
        await session.execute(delete(Message).where(Message.id == gone))
    assert await indexed(db, "levan") == 1 and await indexed(db, "nino") == 0
    assert await subjects(db, "levan", "cigarettes") == []
    # a mail filed next (SQLite may give its entry the id just freed) brings its own words
    await deliver(db, "Weekly", "nothing to report", to="levan", sender="tamar@am")
    assert await subjects(db, "levan", "cigarettes") == []
    assert await subjects(db, "levan", "report") == ["Weekly"]


async def test_an_entry_taken_out_of_a_mailbox_leaves_the_index(db: Database) -> None:
    message_id = await deliver(db, "Seizure", "cigarettes", to="levan", sender="nino@ge")
    async with db.session() as session, session.begin():
        await session.execute(
            delete(MailboxEntry).where(
                MailboxEntry.message_id == message_id, MailboxEntry.owner == "levan"
            )
        )
    assert await subjects(db, "levan", "cigarettes") == []
    assert await subjects(db, "nino", "cigarettes") == ["Seizure"]
    assert await indexed(db, "levan") == 0


async def test_the_index_follows_a_changed_message_and_a_moved_entry(db: Database) -> None:
    message_id = await deliver(db, "Draft", "cigarettes", to="levan", sender="tamar@am")
    async with db.session() as session, session.begin():
        await session.execute(
            update(Message).where(Message.id == message_id).values(subject="Final report")
        )
    assert await subjects(db, "levan", "draft") == []
    assert await subjects(db, "levan", "final cigarettes") == ["Final report"]
    async with db.session() as session, session.begin():
        await session.execute(
            update(MailboxEntry)
            .where(MailboxEntry.message_id == message_id)
            .values(owner="tamar", folder="sent")
        )
    assert await subjects(db, "levan", "final") == []
    assert await subjects(db, "tamar", "final", "sent") == ["Final report"]
    assert await indexed(db, "levan") == 0 and await indexed(db, "tamar") == 1


# what is typed, and whether it finds the mail "Seizure": "cigarettes found in a truck"
HOSTILE = [
    ('"', False),
    ("*", False),
    ("AND", False),
    ("OR NOT", False),
    ("-", False),
    (":", False),
    ("'", False),
    ("(", False),
    (")", False),
    ("\x00", False),
    ("\\", False),
    ("...", False),
    ("- * : ' ( )", False),
    ('"cigarettes"', True),
    ("cig*", True),
    ("-truck", True),
    ("(found) truck:", True),
    ("cigarettes AND", False),  # "and" is a word like any other, and not in the mail
    ("NEAR(cigarettes truck)", False),  # the phrase "near cigarettes"
    ("{subject}: truck", False),
    ("subject:cigarettes", False),
    ("'):* & !found | <-> truck", True),
    ("truck\x00found", True),  # the NUL parts words
    ("\ud800 truck", True),
    ("cigarettes " * 200, True),
    ("x" * 5000, False),
]


@pytest.mark.parametrize(("typed", "finds"), HOSTILE)
async def test_query_syntax_in_the_text_typed_is_only_text(
    db: Database, typed: str, finds: bool
) -> None:
    await deliver(db, "Seizure", "cigarettes found in a truck")
    assert await subjects(db, "levan", typed) == (["Seizure"] if finds else [])


def test_no_text_typed_makes_the_search_fail(database_url: str) -> None:
    """Whatever is typed, the search answers: some of the owner's mail, or none."""
    loop = asyncio.new_event_loop()
    db = Database(database_url)
    try:
        loop.run_until_complete(db.migrate())
        loop.run_until_complete(deliver(db, "Seizure", "cigarettes ნაპოვნია: 100% (sic)"))
        loop.run_until_complete(deliver(db, "Other", "cigarettes", to="tamar"))

        @given(st.text())
        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        def typed_anything(typed: str) -> None:
            found = loop.run_until_complete(subjects(db, "levan", typed))
            assert found in ([], ["Seizure"])

        typed_anything()
    finally:
        loop.run_until_complete(db.close())
        loop.close()


async def tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))


@pytest.fixture
async def bare(database_url: str) -> AsyncIterator[Database]:
    """A database at the revision before the index."""
    database = Database(database_url)
    await migrate(database, "0005")
    try:
        yield database
    finally:
        await database.close()


async def test_the_migration_indexes_the_mail_already_there_and_goes_back(bare: Database) -> None:
    await deliver(bare, "Before the index", "cigarettes", sender="nino@ge", rows_only=True)
    await migrate(bare, "head")
    assert await subjects(bare, "levan", "cigarettes") == ["Before the index"]
    assert await subjects(bare, "nino", "cigarettes", "sent") == ["Before the index"]

    # back to 0006: entries are indexed by its row trigger again (SQLite; PostgreSQL's
    # trigger never went), the rows already indexed stay
    await migrate(bare, "0006", down=True)
    await deliver(bare, "Under 0006", "cigarettes", sender="tamar@am", rows_only=True)
    assert await subjects(bare, "levan", "cigarettes") == ["Under 0006", "Before the index"]

    await migrate(bare, "0005", down=True)
    assert not any(name.startswith(INDEX) for name in await tables(bare))
    # without the index (and its triggers) delivery goes on as before
    await deliver(bare, "While downgraded", "cigarettes", sender="tamar@am", rows_only=True)

    await migrate(bare, "head")
    await deliver(bare, "After", "cigarettes", sender="tamar@am")
    assert await subjects(bare, "levan", "cigarettes") == [
        "After",
        "While downgraded",
        "Under 0006",
        "Before the index",
    ]
