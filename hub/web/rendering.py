"""Pages from Jinja2 templates, in the reader's language.

Every user-visible string goes through gettext: ``_()`` here in Python, ``_()`` /
``ngettext()`` in templates (``jinja2.ext.i18n``, new style: ``_("%(n)s new", n=3)``,
arguments escaped). The translations and the Babel locale follow the reader: the
request's locale is a context variable that the authentication dependency sets from
the user's ``language`` (when accounts have one; English until then). Catalogues are
not shipped yet: :func:`translations_for` returns the identity translation.

Dates and numbers are formatted by Babel through the ``datetime``, ``when``,
``number`` and ``filesize`` filters, in the same locale.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE: tzinfo = UTC
"""Times are shown in UTC (and say so) until users have a time zone preference."""

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_locale: ContextVar[str] = ContextVar("icomm_web_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where shown."""
    return message


@cache
def translations_for(locale: str) -> gettext.NullTranslations:
    """The catalogue of ``locale``; for now the identity (English) for every locale."""
    return gettext.NullTranslations()


def current_locale() -> str:
    return _locale.get()


def use_locale(locale: str | None) -> None:
    """Make ``locale`` (a Babel/CLDR identifier such as ``en``, ``ka``, ``ru``) the current
    request's; an unknown one falls back to the default."""
    _locale.set(locale if locale and _known(locale) else DEFAULT_LOCALE)


@cache
def _known(locale: str) -> bool:
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _(message: str, **variables: Any) -> str:
    """Translate ``message`` into the current locale, then fill ``%(name)s`` variables."""
    text = translations_for(current_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for ``n``, translated; ``%(num)s`` is ``n`` formatted."""
    text = translations_for(current_locale()).ngettext(singular, plural, n)
    return text % {"num": format_number(n), **variables}


def _jinja_gettext(message: str) -> str:
    return translations_for(current_locale()).gettext(message)


def _jinja_ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(current_locale()).ngettext(singular, plural, n)


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=current_locale())


def format_when(value: datetime, *, now: datetime | None = None) -> str:
    """A folder's date column: the time for today's messages, else the date."""
    local = value.astimezone(DEFAULT_TIMEZONE)
    today = (now or datetime.now(UTC)).astimezone(DEFAULT_TIMEZONE).date()
    if local.date() == today:
        return format_time(local, format="short", tzinfo=DEFAULT_TIMEZONE, locale=current_locale())
    return format_date(local.date(), format="medium", locale=current_locale())


def format_moment(value: datetime, format: str = "medium") -> str:
    """A date and time in the reader's locale, saying its time zone (``short``,
    ``medium``; ``long`` and ``full`` name the zone themselves)."""
    text = format_datetime(value, format=format, tzinfo=DEFAULT_TIMEZONE, locale=current_locale())
    if format in {"short", "medium"} and DEFAULT_TIMEZONE is UTC:
        return f"{text} UTC"
    return text


def format_filesize(size: int) -> str:
    """``532 bytes``, ``12.4 kB``, ``3.1 MB`` (decimal units, as file managers show)."""
    locale = current_locale()
    if size < 1000:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    for unit, scale in (
        (N_("%(size)s kB"), 1e3),
        (N_("%(size)s MB"), 1e6),
        (N_("%(size)s GB"), 1e9),
    ):
        if size < scale * 1000 or scale == 1e9:
            return _(unit, size=format_decimal(size / scale, format="#,##0.#", locale=locale))
    raise AssertionError("unreachable")


def _build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  (added by the extension)
        gettext=_jinja_gettext, ngettext=_jinja_ngettext, newstyle=True
    )
    env.filters.update(
        datetime=format_moment,
        when=format_when,
        number=format_number,
        filesize=format_filesize,
        isodate=lambda value: value.astimezone(UTC).isoformat(),
    )
    env.globals.update(N_=N_, current_locale=current_locale)
    return env


class Renderer:
    """Renders the templates into HTML responses."""

    def __init__(self) -> None:
        self.env = _build_environment()

    def render(self, name: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render(locale=current_locale(), **context)

    def page(
        self,
        name: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return HTMLResponse(self.render(name, context), status_code=status_code, headers=headers)
