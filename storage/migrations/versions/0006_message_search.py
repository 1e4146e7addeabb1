"""full-text search over mailboxes, kept by the database: an index row per mailbox entry

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 08:00:00

The index is written by triggers, so no code on the delivery path does anything for it.
One row per mailbox entry (rowid / ``entry_id`` = ``mailbox_entries.id``): the message's
subject, sender, recipients and body (``$.body`` of the payload, first 100,000
characters), and the mailbox words ``hex(owner)`` and ``hex(owner) 'x' hex(folder)``,
which keep a search inside one mailbox in the index itself (``storage/search.py`` writes
the queries against exactly these words).

SQLite: an FTS5 table without content (``content=''``): a row is removed by giving FTS5
the values it was indexed with, so every trigger computes them with the same expressions
from the entry and its message; a message's entries are removed before the message, while
its text can still be read. PostgreSQL: a ``tsvector`` per entry (``simple`` configuration,
text lower-cased and split on anything but letters and digits, Latin diacritics removed, as
SQLite's ``unicode61`` does), a GIN index, and rows removed with their entries by the
foreign key.

A later migration that rebuilds ``messages`` or ``mailbox_entries`` on SQLite (Alembic's
batch mode copies a table and drops the old one) drops these triggers with the old table:
it must create them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY_CHARS = 100_000
#: characters of normalized text indexed per entry on PostgreSQL: a tsvector holds at most
#: 1 MB, and 100,000 characters (at most 4 bytes each) with their positions stay well under
TEXT_CHARS = 100_000


def _sql(statement: str) -> None:
    """A statement as written (its colons are SQL's, not bound parameters)."""
    op.execute(sa.text(statement.replace(":", "\\:")))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DROP:
            _sql(statement)
    else:
        for trigger in SQLITE_TRIGGERS:
            _sql(f"DROP TRIGGER IF EXISTS {trigger}")
        _sql("DROP TABLE IF EXISTS message_search")


# --- SQLite ---------------------------------------------------------------------------

COLUMNS = "subject, sender, recipients, body, mailbox"


def _sqlite_body(message: str) -> str:
    payload = f"CAST({message}.payload AS TEXT)"
    return (
        f"CASE WHEN json_valid({payload}) "
        f"THEN substr(json_extract({payload}, '$.body'), 1, {BODY_CHARS}) END"
    )


def _sqlite_values(message: str, entry: str) -> str:
    """The indexed values of an entry: identical wherever a row is added or removed."""
    mailbox = f"hex({entry}.owner) || ' ' || hex({entry}.owner) || 'x' || hex({entry}.folder)"
    return (
        f"{message}.subject, {message}.sender, {message}.recipients, "
        f"{_sqlite_body(message)}, {mailbox}"
    )


# the statements below are made of this module's own names and expressions only


def _sqlite_add(message: str, entry: str, where: str, source: str) -> str:
    return (
        f"INSERT INTO message_search (rowid, {COLUMNS}) "  # noqa: S608
        f"SELECT {entry}.id, {_sqlite_values(message, entry)} FROM {source} WHERE {where};"
    )


def _sqlite_remove(message: str, entry: str, where: str, source: str) -> str:
    return (
        f"INSERT INTO message_search (message_search, rowid, {COLUMNS}) "  # noqa: S608
        f"SELECT 'delete', {entry}.id, {_sqlite_values(message, entry)} "
        f"FROM {source} WHERE {where};"
    )


ENTRY_MESSAGE = "messages AS m"
SQLITE_TRIGGERS = {
    "message_search_filed": f"""
        AFTER INSERT ON mailbox_entries BEGIN
            {_sqlite_add("m", "NEW", "m.id = NEW.message_id", ENTRY_MESSAGE)}
        END""",
    "message_search_unfiled": f"""
        AFTER DELETE ON mailbox_entries BEGIN
            {_sqlite_remove("m", "OLD", "m.id = OLD.message_id", ENTRY_MESSAGE)}
        END""",
    "message_search_refiled": f"""
        AFTER UPDATE OF message_id, owner, folder ON mailbox_entries BEGIN
            {_sqlite_remove("m", "OLD", "m.id = OLD.message_id", ENTRY_MESSAGE)}
            {_sqlite_add("m", "NEW", "m.id = NEW.message_id", ENTRY_MESSAGE)}
        END""",
    # the entries go first, while the message's text is there to remove them with
    "message_search_message_deleted": """
        BEFORE DELETE ON messages BEGIN
            DELETE FROM mailbox_entries WHERE message_id = OLD.id;
        END""",
    "message_search_message_changed": f"""
        AFTER UPDATE OF subject, sender, recipients, payload ON messages BEGIN
            {_sqlite_remove("OLD", "e", "e.message_id = OLD.id", "mailbox_entries AS e")}
            {_sqlite_add("NEW", "e", "e.message_id = NEW.id", "mailbox_entries AS e")}
        END""",
}


def _upgrade_sqlite() -> None:
    _sql(
        f"CREATE VIRTUAL TABLE message_search USING fts5({COLUMNS}, content='', "
        "columnsize=0, prefix='3', tokenize='unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        _sql(f"CREATE TRIGGER {name} {body}")
    # the entries already filed
    _sql(
        _sqlite_add(
            "m", "e", "TRUE", "mailbox_entries AS e JOIN messages AS m ON m.id = e.message_id"
        )
    )


# --- PostgreSQL -----------------------------------------------------------------------

POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS message_search_filed ON mailbox_entries",
    "DROP TRIGGER IF EXISTS message_search_message_changed ON messages",
    "DROP TABLE IF EXISTS message_search",
    "DROP FUNCTION IF EXISTS message_search_filed()",
    "DROP FUNCTION IF EXISTS message_search_message_changed()",
    "DROP FUNCTION IF EXISTS message_search_query(text[], boolean)",
    "DROP FUNCTION IF EXISTS message_search_document(text, text, text, bytea, text, text)",
    "DROP FUNCTION IF EXISTS message_search_body(bytea)",
    "DROP FUNCTION IF EXISTS message_search_text(text)",
)


def _postgresql_functions(collate: str) -> list[str]:
    return [
        # lower case in every script, Latin letters without diacritics, and only letters
        # and digits, one space apart (what the parser then splits is then plain words)
        rf"""
        CREATE FUNCTION message_search_text(raw text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT btrim(regexp_replace(
                normalize(regexp_replace(
                    normalize(lower(coalesce(raw, '') {collate}), NFD),
                    '([a-z])[\u0300-\u036f]+', '\1', 'g'), NFC) {collate},
                '[^[:alnum:]]+', ' ', 'g'))
        $$""",
        # the body of a payload, or NULL when it is not JSON text with one; JSON's \u0000
        # (which PostgreSQL's text cannot hold) is read as a space
        rf"""
        CREATE FUNCTION message_search_body(payload bytea) RETURNS text
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        DECLARE
            doc text;
        BEGIN
            doc := convert_from(payload, 'UTF8');
            IF strpos(doc, '\u0000') > 0 THEN
                doc := replace(replace(replace(doc, '\\', chr(1)), '\u0000', ' '), chr(1), '\\');
            END IF;
            RETURN left(doc::jsonb ->> 'body', {BODY_CHARS});
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END
        $$""",
        f"""
        CREATE FUNCTION message_search_document(
            subject text, sender text, recipients text, payload bytea, owner text, folder text
        ) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT to_tsvector('simple', left(message_search_text(concat_ws(' ',
                       subject, sender, recipients, message_search_body(payload))), {TEXT_CHARS}))
                || array_to_tsvector(ARRAY[
                       encode(convert_to(owner, 'UTF8'), 'hex'),
                       encode(convert_to(owner, 'UTF8'), 'hex') || 'x'
                           || encode(convert_to(folder, 'UTF8'), 'hex')])
        $$""",
        # every word (its runs one after the other), the last one a prefix if asked
        """
        CREATE FUNCTION message_search_query(words text[], prefix boolean) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT to_tsquery('simple', string_agg(
                       replace(message_search_text(word), ' ', ' <-> ')
                           || CASE WHEN prefix AND n = cardinality(words) THEN ':*' ELSE '' END,
                       ' & ' ORDER BY n))
            FROM unnest(words) WITH ORDINALITY AS typed(word, n)
            WHERE message_search_text(word) <> ''
        $$""",
        """
        CREATE FUNCTION message_search_filed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO message_search (entry_id, document)
            SELECT NEW.id, message_search_document(
                       m.subject, m.sender, m.recipients::text, m.payload, NEW.owner, NEW.folder)
            FROM messages AS m WHERE m.id = NEW.message_id
            ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document;
            RETURN NULL;
        END
        $$""",
        """
        CREATE FUNCTION message_search_message_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE message_search AS s
            SET document = message_search_document(
                    NEW.subject, NEW.sender, NEW.recipients::text, NEW.payload, e.owner, e.folder)
            FROM mailbox_entries AS e
            WHERE e.message_id = NEW.id AND s.entry_id = e.id;
            RETURN NULL;
        END
        $$""",
    ]


def _upgrade_postgresql() -> None:
    icu = (
        op.get_bind()
        .exec_driver_sql("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        .first()
    )
    # ICU's case mapping and letter classes whatever the database's locale (even "C")
    collate = 'COLLATE "und-x-icu"' if icu else ""
    for statement in _postgresql_functions(collate):
        _sql(statement)
    _sql(
        """
        CREATE TABLE message_search (
            entry_id integer PRIMARY KEY
                REFERENCES mailbox_entries (id) ON DELETE CASCADE,
            document tsvector NOT NULL
        )"""
    )
    _sql(
        """
        INSERT INTO message_search (entry_id, document)
        SELECT e.id, message_search_document(
                   m.subject, m.sender, m.recipients::text, m.payload, e.owner, e.folder)
        FROM mailbox_entries AS e JOIN messages AS m ON m.id = e.message_id"""
    )
    _sql("CREATE INDEX ix_message_search_document ON message_search USING gin (document)")
    _sql(
        """
        CREATE TRIGGER message_search_filed
        AFTER INSERT OR UPDATE OF message_id, owner, folder ON mailbox_entries
        FOR EACH ROW EXECUTE FUNCTION message_search_filed()"""
    )
    _sql(
        """
        CREATE TRIGGER message_search_message_changed
        AFTER UPDATE OF subject, sender, recipients, payload ON messages
        FOR EACH ROW EXECUTE FUNCTION message_search_message_changed()"""
    )
