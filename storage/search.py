"""Full-text search over mailboxes: what the user typed, turned into an index query.

The index itself is the database's own work (migrations 0006 and 0007): one index row per
mailbox entry, written as entries are filed — on PostgreSQL by a trigger, on SQLite by one
statement after each batch filed (:data:`INDEX_FILED`; FTS5 works faster in bulk) — and
removed or rewritten by triggers as entries and messages change or go. Each
row holds the message's subject, sender, recipients and body (the first 100,000
characters of the ``body`` in its payload) and two mailbox words, the owner's and the
owner's folder's, that keep a search to one mailbox inside the index itself. On SQLite it
is an FTS5 table (``unicode61``, diacritics removed, a prefix index of three characters);
on PostgreSQL a ``tsvector`` (``simple`` configuration) per entry with a GIN index.

Here the text typed is split into words, never passed raw to either query language: each
word becomes a quoted phrase of its letter-and-digit runs (``nino.beridze`` is the phrase
*nino beridze*), punctuation alone is dropped, and every word must match. The last word
matches as a prefix once its last run has :data:`PREFIX_FROM` characters (one or two
letters would name most of the mail, and cost a scan of it). Case is ignored in every
script; a Georgian word also matches itself written in Mtavruli (capitals), which
SQLite's tokenizer does not fold.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: the name of the index (and, on SQLite, the prefix of its shadow tables)
INDEX = "message_search"
#: on SQLite, the index rows of the entries filed after the entry given (SQLite's own
#: SQL, run as the bulk statements are): each entry's values as the view of migration
#: 0007 computes them, with the expressions the removal triggers use (a row of a
#: contentless FTS5 table is removed by giving its values again)
INDEX_FILED = (
    f"INSERT INTO {INDEX} (rowid, subject, sender, recipients, body, mailbox) "  # noqa: S608
    "SELECT entry_id, subject, sender, recipients, body, mailbox "
    "FROM message_search_rows WHERE entry_id > ?"
)
#: a last word matches as a prefix from this many characters
PREFIX_FROM = 3
#: words of a query beyond these are ignored
MAX_WORDS = 32
#: characters of one word beyond these are ignored
MAX_WORD = 128
_MKHEDRULI = range(0x10D0, 0x1100)
#: a run that could be (or start) a mailbox word: the mailbox column's only letters
_MAILBOX_RUN = re.compile("[0-9a-fx]+")


def maintained_by_database(table_name: str) -> bool:
    """Whether a table is the search index (the database's own, not in the models)."""
    return table_name == INDEX or table_name.startswith(f"{INDEX}_")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: everything but the search index's tables, which are
    no model's (the migration made them; autogenerate must neither drop nor compare them)."""
    return not (type_ == "table" and name is not None and maintained_by_database(name))


@dataclass(frozen=True)
class Terms:
    """What to look for: the runs of each word typed, and whether the last is a prefix."""

    words: tuple[tuple[str, ...], ...]
    prefix: bool


def terms(text: str) -> Terms | None:
    """The words of ``text`` (lower case, NFC), or None when it has none to look for."""
    text = unicodedata.normalize("NFC", text.replace("\x00", " ").lower())
    words = [runs for word in text.split() if (runs := _runs(word[:MAX_WORD]))][:MAX_WORDS]
    if not words:
        return None
    return Terms(tuple(words), prefix=len(words[-1][-1]) >= PREFIX_FROM)


def _runs(word: str) -> tuple[str, ...]:
    """The letter-and-digit runs of a word; combining marks stay with their letter."""
    runs: list[str] = []
    current = ""
    for char in word:
        if char.isalnum() or (current and unicodedata.category(char).startswith("M")):
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return tuple(runs)


def mailbox_word(owner: str, folder: str | None = None) -> str:
    """The index word of an owner's mailbox, or of one of its folders (as the triggers
    write them: the names in hex, so that any name is one word matched exactly)."""
    word = owner.encode().hex()
    return word if folder is None else f"{word}x{folder.encode().hex()}"


def fts5_query(found: Terms, owner: str, folder: str | None) -> str:
    """An FTS5 MATCH expression: the mailbox word AND every word, in the text columns."""
    return f'mailbox : "{mailbox_word(owner, folder)}" AND {fts5_words(found)}'


def fts5_words(found: Terms) -> str:
    """An FTS5 MATCH expression: every word, in the text columns (any mailbox's).

    The words are held to the text columns only when one of them could be a mailbox word
    (hex digits and ``x``): a column filter makes FTS5 read where in the row each match
    lies, a quarter of a search's time in the index (a million mails, the benchmark's
    searches: p95 30 to 36 ms with it, 26 without); other words never match that column.
    """
    phrases = []
    for number, runs in enumerate(found.words, start=1):
        star = " *" if found.prefix and number == len(found.words) else ""
        spellings = dict.fromkeys([runs, tuple(_mtavruli(run) for run in runs)])
        alternatives = [f"{_quoted(' '.join(spelling))}{star}" for spelling in spellings]
        phrases.append(f"({' OR '.join(alternatives)})")
    words = f"({' AND '.join(phrases)})"
    if any(_could_be_mailbox(run) for runs in found.words for run in runs):
        words = f"{{subject sender recipients body}} : {words}"
    return words


def tsquery_words(found: Terms) -> list[str]:
    """The words for ``message_search_query`` on PostgreSQL, each its runs joined by
    spaces (the database normalizes them as it normalized the documents)."""
    return [" ".join(runs) for runs in found.words]


def _could_be_mailbox(run: str) -> bool:
    """Whether the index could read a run as (the start of) a mailbox word: judged on
    its compatibility form without marks, as the tokenizer removes diacritics."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", run) if not unicodedata.combining(c))
    return _MAILBOX_RUN.fullmatch(bare) is not None


def _quoted(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


def _mtavruli(run: str) -> str:
    """A run with its Georgian letters in Mtavruli, the capitals."""
    return "".join(char.upper() if ord(char) in _MKHEDRULI else char for char in run)
