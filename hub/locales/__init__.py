"""The translations of what Icomm says to people: its web pages and its e-mail notices.

English is the source language: the messages in the code and templates are the English
text (the msgids). ``messages.pot`` lists them, as ``pybabel extract`` finds them, and
each other language has a catalogue ``<language>/LC_MESSAGES/messages.po``; see
"Languages" in the README for updating them. A catalogue is compiled in memory from its
``.po`` the first time it is used: there is no build step and no ``.mo`` file. Its fuzzy
entries (guesses of ``pybabel update``) are left out, so they show in English until a
translator confirms them.

Protocol texts (SMTP replies), logs and the command line stay in English.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from hub.accounts import LANGUAGES

LOCALES = Path(__file__).parent
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def shipped(language: str | None) -> str:
    """``language`` if Icomm speaks it (one of :data:`hub.accounts.LANGUAGES`), else English."""
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language``; the identity for English (and any language not shipped)."""
    if shipped(language) == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)  # without the fuzzy entries
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Translator:
    """Text in one language. Its methods are named ``gettext`` and ``ngettext`` so that
    ``pybabel extract`` finds the messages passed to them."""

    language: str

    def gettext(self, message: str, **variables: Any) -> str:
        """``message`` translated, its ``%(name)s`` variables filled in."""
        text = translations(self.language).gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        """The form for ``n``, translated; ``%(num)s`` is ``n`` written the language's way."""
        text = translations(self.language).ngettext(singular, plural, n)
        return text % {"num": format_decimal(n, locale=self.language), **variables}


def translator(language: str | None) -> Translator:
    """Text in ``language`` if Icomm speaks it, else in English."""
    return Translator(shipped(language))
