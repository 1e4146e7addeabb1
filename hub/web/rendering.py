"""Pages from Jinja2 templates, in the reader's language.

Every user-visible string goes through gettext: ``_()`` here in Python, ``_()`` /
``ngettext()`` in templates (``jinja2.ext.i18n``, new style: ``_("%(n)s new", n=3)``,
arguments escaped). The translations and the Babel locale follow the reader: the
request's locale is a context variable, first the browser's preferred language
(``Accept-Language``, by :class:`BrowserLanguage`), then, once the authentication
dependency knows who is signed in, the language the user chose. The catalogues are
:mod:`hub.locales`.

Dates and numbers are formatted by Babel through the ``datetime``, ``when``,
``number`` and ``filesize`` filters, in the same locale. A reference list's code is shown
by :func:`label` (countries and currencies named by the CLDR, the other lists' labels from
the catalogues), and the case stores' English problems and refusals by :func:`localized`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.errors import Word
from adapters.reference import Coded, reference
from adapters.reference.catalog import CLDR_LISTS
from hub.accounts import LANGUAGES
from hub.locales import SOURCE_LANGUAGE, shipped, translations, translator

DEFAULT_LOCALE = SOURCE_LANGUAGE
DEFAULT_TIMEZONE: tzinfo = UTC
"""Times are shown in UTC (and say so) until users have a time zone preference."""

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_locale: ContextVar[str] = ContextVar("icomm_web_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where shown."""
    return message


def current_locale() -> str:
    return _locale.get()


def use_locale(locale: str | None) -> None:
    """Make ``locale`` (``en``, ``ka`` or ``ru``) the current request's; another falls back
    to the default."""
    _locale.set(shipped(locale))


def browser_language(accept_language: str | None) -> str:
    """The shipped language a browser prefers most (``Accept-Language: ka-GE, ru;q=0.8``),
    else the default."""
    preferences = []
    for item in (accept_language or "").split(","):
        tag, *parameters = (part.strip() for part in item.split(";"))
        quality = next((_quality(p[2:]) for p in parameters if p.lower().startswith("q=")), 1.0)
        if tag and quality > 0:
            preferences.append((quality, tag.lower()))
    preferences.sort(key=lambda preference: -preference[0])  # stable: header order among equals
    return negotiate_locale([tag for _q, tag in preferences], LANGUAGES, sep="-") or DEFAULT_LOCALE


def _quality(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


class BrowserLanguage:
    """Sets each request's locale to the browser's preferred language (for pages shown
    before signing in); :func:`hub.web.auth.optional_viewer` then sets the user's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            use_locale(browser_language(Headers(scope=scope).get("accept-language")))
        await self.app(scope, receive, send)


def _(message: str, **variables: Any) -> str:
    """Translate ``message`` into the current locale, then fill ``%(name)s`` variables."""
    return translator(current_locale()).gettext(message, **variables)


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for ``n``, translated; ``%(num)s`` is ``n`` formatted."""
    return translator(current_locale()).ngettext(singular, plural, n, **variables)


def label(list_name: str, code: str | None) -> str:
    """A reference list's code in words, in the current locale: the CLDR's name of a
    country or currency (the list's English label where the CLDR has none), the translated
    label of another list's code; the code itself if the list lacks it, "" for no code."""
    if not code:
        return ""
    entry = reference(list_name).get(code)
    if entry is None:
        return code
    locale = current_locale()
    if locale == SOURCE_LANGUAGE:
        return entry.label
    if list_name in CLDR_LISTS:
        cldr = Locale.parse(locale)
        names = cldr.territories if list_name == "countries" else cldr.currencies
        return names.get(code) or entry.label
    return _(entry.label)


def localized(template: str, params: Mapping[str, object]) -> str:
    """An English template of the case stores (a problem, a refusal) in the current locale,
    its values filled in: a :class:`~adapters.errors.Word` translated, a
    :class:`~adapters.reference.Coded` as its label."""
    values = {
        name: label(value.list_name, value.code)
        if isinstance(value, Coded)
        else _(value)
        if isinstance(value, Word)
        else value
        for name, value in params.items()
    }
    return _(template, **values)


def _jinja_gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def _jinja_ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n``, with ``%(num)s`` written the reader's way (Jinja fills in ``n``
    as it is)."""
    text = translations(current_locale()).ngettext(singular, plural, n)
    return text.replace("%(num)s", format_number(n))


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
