"""Languages: the catalogues are complete and up to date, and the Georgian and Russian
pages show no English.

The walk signs in as users who chose Georgian or Russian (their browser asks for English:
the user's choice wins), fetches the main pages in the states that show the most text,
and looks for any English message of the catalogue in what a reader sees or hears: text
nodes and the title, placeholder, aria-label and alt attributes (and the value of input
buttons). The data the test creates (codes such as ZX-4471, user names, addresses) is
not English text, so it cannot be mistaken for a message.

A second walk goes through the case pages (forms refused with every kind of quality
problem, a case, a suspect, a company, the validation queue, the CEN page) and looks for
the reference lists' English labels too.
"""

from __future__ import annotations

import gettext
import html
import re
from contextvars import copy_context
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel import Locale
from babel.dates import get_month_names
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from casepages import complete_form, post_form, saved_ref, signed_in
from nodes import PASSWORD
from webclient import BASE, browser, csrf, sign_in

from adapters.casestore import DRAFT, WRONG_STATE
from adapters.errors import Word, WrongState
from adapters.reference import all_lists
from hub.accounts import LANGUAGES
from hub.locales import LOCALES, SOURCE_LANGUAGE, catalogue_path, translator
from hub.node import Node
from hub.web import create_app
from hub.web.casework import refused
from hub.web.rendering import use_locale
from message_schemas import Attachment, HandlingCode, Mail

ROOT = Path(__file__).parents[2]
TEMPLATE = LOCALES / "messages.pot"
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]
UPDATE = (
    "Update the catalogues from the sources (see 'Languages' in the README):\n"
    "    pybabel extract -F babel.cfg -o hub/locales/messages.pot .\n"
    "    pybabel update -i hub/locales/messages.pot -d hub/locales\n"
    "then translate the new or changed (empty or fuzzy) entries of "
    "hub/locales/*/LC_MESSAGES/messages.po."
)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CODE = "ZX-4471"  # the test's subjects, bodies and file names: no word of any language
FILE = bytes(12_345)
LINK = re.compile(r'id="link" class="link-once" value="([^"]+)"')

MsgId = str | tuple[str, str]


def read_catalogue(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def plural_rule(catalogue: Catalog) -> tuple[int, list[int]]:
    """How many forms a catalogue has, and which one it gives each number up to 1,000."""
    choose = gettext.c2py(catalogue.plural_expr)
    return catalogue.num_plurals, [choose(number) for number in range(1001)]


def forms(msgid: MsgId) -> tuple[str, ...]:
    return msgid if isinstance(msgid, tuple) else (msgid,)


def template_ids() -> set[MsgId]:
    return {message.id for message in read_catalogue(TEMPLATE) if message.id}


# the catalogues


def test_the_template_lists_exactly_the_messages_of_the_sources() -> None:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    extracted = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map
        )
    }
    listed = template_ids()
    assert len(listed) > 150
    new, gone = extracted - listed, listed - extracted
    assert not new and not gone, (
        f"hub/locales/messages.pot is out of date.\nNew in the sources: {sorted(map(str, new))}\n"
        f"No longer in the sources: {sorted(map(str, gone))}\n{UPDATE}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    catalogue = read_catalogue(catalogue_path(language), language)
    # Babel's own rule (CLDR's) for the language, however Babel writes it out
    assert plural_rule(catalogue) == plural_rule(Catalog(locale=language))
    problems = []
    for msgid in sorted(template_ids(), key=str):
        message = catalogue.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = forms(message.string)
        wanted = {name for form in forms(msgid) for name in PLACEHOLDER.findall(form)}
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {msgid!r}")
        elif isinstance(msgid, tuple) and len(strings) != catalogue.num_plurals:
            problems.append(f"{len(strings)} plural forms, not {catalogue.num_plurals}: {msgid!r}")
        elif any(set(PLACEHOLDER.findall(form)) != wanted for form in strings):
            problems.append(f"placeholders differ from {sorted(wanted)}: {msgid!r}")
    assert not problems, f"{catalogue_path(language)}:\n" + "\n".join(problems) + f"\n{UPDATE}"


# the walk through the main pages


class Visible(HTMLParser):
    """What a reader sees or hears of a page: its text and its spoken attributes."""

    SPOKEN = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.texts += [value for name in self.SPOKEN if (value := values.get(name))]
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self.texts.append(values.get("value") or "")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def visible(page: httpx.Response) -> list[str]:
    parser = Visible()
    parser.feed(page.text)
    return [text for text in (" ".join(t.split()) for t in parser.texts) if text]


def pattern(message: str) -> re.Pattern[str]:
    """The message as it shows once its placeholders are filled in, as a whole phrase."""
    parts = [re.escape(part.replace("%%", "%")) for part in PLACEHOLDER.split(message)[::2]]
    return re.compile(r"(?<!\w)" + ".+?".join(parts) + r"(?!\w)")


def english_shown(pages: dict[str, list[str]], language: str) -> dict[str, list[str]]:
    """The English messages on each page that ``language`` does not say in English too
    (a translation may rightly be the same, such as "%(address)s: %(reason)s.")."""
    catalogue = (
        read_catalogue(catalogue_path(language), language) if language != SOURCE_LANGUAGE else None
    )
    english = set()
    for msgid in template_ids():
        translated = forms(catalogue[msgid].string) if catalogue is not None else ()
        english |= {form for form in forms(msgid) if form not in translated}
    return labels_shown(pages, english)


def located(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def walk(ge: Node, language: str) -> tuple[dict[str, httpx.Response], Mail]:
    """The main pages, for nino (an administrator who chose ``language``) and for someone
    not signed in whose browser prefers ``language``; and the mail nino received."""
    await ge.accounts.set_language("nino", language)
    mail = await ge.submit(
        Mail(
            sender="levan@ge",
            to=["nino@ge", "tamar@ge"],
            subject=CODE,
            body=CODE,
            handling_code=HandlingCode.H1,
            source_evaluation="B",
            information_evaluation="2",
            attachments=[Attachment.from_bytes(f"{CODE}.bin", FILE)],
        )
    )
    untitled = await ge.submit(
        Mail(
            sender="levan@ge",
            to=["nino@ge"],
            subject="",
            body=CODE,
            body_html=f"<p>{CODE}</p>",
            attachments=[Attachment.from_bytes(f"{CODE}-{n}.bin", FILE) for n in (1, 2)],
        )
    )
    app = create_app(ge)
    pages: dict[str, httpx.Response] = {}
    async with browser(app) as nino:
        nino.headers["Accept-Language"] = "en"  # the user's choice wins over the browser's
        await sign_in(nino, "nino")
        pages["inbox"] = await nino.get("/mail/inbox")
        pages["sent, empty"] = await nino.get("/mail/sent")
        pages["search"] = await nino.get("/mail/inbox", params={"q": CODE})
        pages["search, nothing found"] = await nino.get("/mail/sent", params={"q": "QQQQ"})
        pages["message"] = await nino.get(f"/messages/{mail.id}")
        pages["message with an HTML version"] = await nino.get(f"/messages/{untitled.id}")
        pages["reply"] = reply = await nino.get("/compose", params={"reply": mail.id, "all": "1"})
        sent = await nino.post(
            "/compose",
            data={
                "to": "levan",
                "subject": f"Re: {CODE}",
                "body": CODE,
                "handling_code": "H2",
                "in_reply_to": mail.id,
                "csrf_token": csrf(reply),
            },
        )
        pages["message sent"] = await nino.get(located(sent))
        pages["sent"] = await nino.get("/mail/sent")
        pages["compose"] = compose = await nino.get("/compose")
        pages["compose, refused"] = await nino.post(
            "/compose", data={"to": "", "handling_code": "H9", "csrf_token": csrf(compose)}
        )
        pages["users"] = users = await nino.get("/users")
        pages["users, password reset"] = reset = await nino.post(
            "/users/tamar/reset", data={"csrf_token": csrf(users)}
        )
        pages["user deactivated"] = await nino.post(
            "/users/levan/deactivate", data={"csrf_token": csrf(users)}
        )
        pages["settings"] = settings = await nino.get("/settings")
        saved = await nino.post(
            "/settings", data={"language": language, "csrf_token": csrf(settings)}
        )
        pages["settings saved"] = await nino.get(located(saved))
        pages["not found"] = await nino.get("/mail/drafts")
    match = LINK.search(reset.text)
    assert match, "no one-time link"
    link = html.unescape(match.group(1)).removeprefix(BASE)
    async with browser(app) as stranger:
        stranger.headers["Accept-Language"] = f"{language}, en;q=0.5"
        pages["sign-in"] = login = await stranger.get("/login")
        pages["sign-in, refused"] = await stranger.post(
            "/login", data={"username": "nino", "password": "wrong", "csrf_token": csrf(login)}
        )
        pages["signed out"] = await stranger.get("/login", params={"notice": "signed-out"})
        pages["password form"] = form = await stranger.get(link)
        pages["password form, refused"] = await stranger.post(
            link, data={"password": "short", "password_again": "", "csrf_token": csrf(form)}
        )
        chosen = {"password": PASSWORD, "password_again": PASSWORD, "csrf_token": csrf(form)}
        pages["password set"] = await stranger.get(located(await stranger.post(link, data=chosen)))
    for name, page in pages.items():
        assert page.status_code in {200, 400, 404}, (name, page.status_code)
        assert f'<html lang="{language}">' in page.text, name
    return pages, mail


def texts_of(pages: dict[str, httpx.Response]) -> dict[str, list[str]]:
    return {name: visible(page) for name, page in pages.items()}


async def test_the_walk_sees_the_english_interface(ge: Node) -> None:
    """The walk's pages and its search do find the messages when they are in English."""
    pages, _mail = await walk(ge, "en")
    shown = {m for found in english_shown(texts_of(pages), "en").values() for m in found}
    assert len(shown) > 110, sorted(shown)
    assert {"Inbox", "%(num)s attachment", "Conversation: %(num)s messages"} <= shown


@pytest.mark.parametrize("language", TRANSLATED)
async def test_the_translated_pages_show_no_english(ge: Node, language: str) -> None:
    pages, mail = await walk(ge, language)
    found = english_shown(texts_of(pages), language)
    assert not found, f"English on the {language} pages: {found}\n{UPDATE}"

    created = mail.created
    month = get_month_names("wide", locale=language)[created.month]
    assert month in pages["message"].text, f"no {month!r}: the date is not in {language}"
    assert get_month_names("wide", locale="en")[created.month] not in pages["message"].text
    size = format_decimal(12.345, format="#,##0.#", locale=language)  # 12,3 (kB)
    [listed] = [text for text in visible(pages["message"]) if "application/octet-stream" in text]
    assert listed.startswith(f"{size} ") and "12.3" not in listed, listed


# choosing a language


async def test_a_user_chooses_their_language_on_the_settings_page(ge: Node) -> None:
    async with browser(create_app(ge)) as levan:
        await sign_in(levan, "levan")
        page = await levan.get("/settings")
        assert '<html lang="en">' in page.text and 'href="/settings"' in page.text
        assert '<option value="ka" lang="ka">ქართული</option>' in page.text
        assert '<option value="ru" lang="ru">Русский</option>' in page.text
        forged = await levan.post("/settings", data={"language": "ka"})
        assert forged.status_code == 403
        assert (await ge.accounts.get("levan")).language == "en"

        saved = await levan.post("/settings", data={"language": "ka", "csrf_token": csrf(page)})
        assert located(saved) == "/settings?notice=language-saved"
        assert (await ge.accounts.get("levan")).language == "ka"
        page = await levan.get(located(saved))
        assert '<html lang="ka">' in page.text and "ენა შენახულია." in page.text
        assert '<option value="ka" lang="ka" selected>' in page.text
        assert '<html lang="ka">' in (await levan.get("/mail/inbox")).text

        refused = await levan.post("/settings", data={"language": "fr", "csrf_token": csrf(page)})
        assert refused.status_code == 400 and "აირჩიეთ ენა სიიდან." in refused.text
        assert (await ge.accounts.get("levan")).language == "ka"


@pytest.mark.parametrize(
    ("accept_language", "shown"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("de-DE, ka;q=0.7, ru;q=0.3", "ka"),
        ("ka;q=0, ru;q=0.2", "ru"),
        ("de, fr", "en"),
        (None, "en"),
    ],
)
async def test_before_signing_in_the_page_speaks_the_browsers_language(
    ge: Node, accept_language: str | None, shown: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    async with browser(create_app(ge)) as stranger:
        page = await stranger.get("/login", headers=headers)
    assert f'<html lang="{shown}">' in page.text
    sign_in_label = {"en": "Sign in", "ka": "შესვლა", "ru": "Войти"}[shown]
    assert f"<title>{sign_in_label} · Icomm ge</title>" in page.text


# the walk through the case pages


def cldr_fallbacks(language: str) -> set[str]:
    """The English labels of the countries and currencies that the CLDR does not name in
    ``language`` (a few currencies): shown in English by design."""
    cldr = Locale.parse(language)
    named = {"countries": cldr.territories, "currencies": cldr.currencies}
    return {
        entry.label
        for name, names in named.items()
        for entry in all_lists()[name]
        if entry.code not in names
    }


def english_labels(language: str) -> set[str]:
    """Every English label of the reference lists that ``language`` must not show."""
    every = {entry.label for entries in all_lists().values() for entry in entries}
    return every - cldr_fallbacks(language)


def labels_shown(pages: dict[str, list[str]], labels: set[str]) -> dict[str, list[str]]:
    """The labels on each page, as whole phrases of its visible texts and option texts."""
    patterns = {label: pattern(label) for label in labels}
    found: dict[str, list[str]] = {}
    for name, texts in pages.items():
        shown = [label for label, p in patterns.items() if any(p.search(t) for t in texts)]
        if shown:
            found[name] = sorted(shown)
    return found


CASE_REF = re.compile(r'action="/cases/([0-9a-f]{32})/edit"')


async def case_walk(ge: Node, language: str) -> dict[str, httpx.Response]:
    """The case pages for nino (an administrator who chose ``language``): forms refused
    with every kind of quality problem, a draft that cannot be submitted yet, a submitted
    and a validated case, a suspect, a company, the validation queue and the CEN page."""
    await ge.accounts.set_language("nino", language)
    pages: dict[str, httpx.Response] = {}
    async with signed_in(create_app(ge), "nino") as nino:
        nino.headers["Accept-Language"] = "en"
        pages["suspect form"] = await nino.get("/suspects/new")
        pages["suspect form, refused"] = await post_form(
            nino,
            "/suspects/new",
            {"date_of_birth": "1850-01-01", "nationality": "XX", "documents.0.type": "visa"},
            page="/suspects/new",
        )
        suspect = {
            "surname": "Zxq",
            "gender": "male",
            "nationality": "TR",
            "documents.0.type": "passport",
            "documents.0.number": "ZX4471",
            "documents.0.issuing_country": "TR",
        }
        added = await post_form(nino, "/suspects/new", suspect, page="/suspects/new")
        suspect_ref = saved_ref(added)
        pages["suspect"] = await nino.get(located(added))
        pages["suspect search"] = await nino.get("/suspects", params={"number": "ZX4471"})
        pages["company form, refused"] = await post_form(
            nino, "/companies/new", {"country": "XX", "role": "importer"}, page="/companies/new"
        )
        company = {"name": CODE, "country": "AM", "role": "importer"}
        added = await post_form(nino, "/companies/new", company, page="/companies/new")
        company_ref = saved_ref(added)
        pages["company"] = await nino.get(located(added))

        pages["new case form"] = await nino.get("/cases/new")
        typed = {"commodities.0.quantity": "?", "commodities.0.value": "10", "office": "?!"}
        pages["new case, refused"] = await post_form(
            nino, "/cases/new", {**typed, "action": "submit"}
        )
        future = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT10:30")
        lacking = complete_form(
            occurred_at=future,
            place_kind="",
            direction="export",
            office=CODE,
            **{
                "commodities.0.category": "tobacco",
                "commodities.0.unit": "sticks",
                "commodities.0.quantity": "2.5",
                "commodities.1.category": "alcohol",
                "commodities.1.type": "spirits",
                "commodities.1.quantity": "9000000",
                "commodities.1.unit": "g",
                "conveyance.mode": "rail",
                "route.departure": "XX",
                "suspects.0.ref": suspect_ref,
                "suspects.0.role": "driver",
                "companies.0.ref": company_ref,
                "companies.0.role": "consignee",
            },
        )
        free = {
            name: CODE
            for name in ("commodities.0.description", "concealment_description", "narrative")
        }
        pages["new case, not submittable"] = refused = await post_form(
            nino, "/cases/new", {**lacking, **free, "action": "submit"}
        )
        match = CASE_REF.search(refused.text)
        assert match, "the draft is not saved"
        pages["draft"] = await nino.get(f"/cases/{match.group(1)}")
        pages["draft's form"] = await nino.get(f"/cases/{match.group(1)}/edit")

        complete = complete_form(**free, office=CODE, **{"suspects.0.ref": suspect_ref})
        submitted = await post_form(nino, "/cases/new", {**complete, "action": "submit"})
        pages["queue"] = await nino.get("/cases/queue")
        validated = await post_form(nino, f"/cases/{saved_ref(submitted)}/validate", {})
        pages["validated case"] = await nino.get(located(validated))
        pages["cases"] = await nino.get("/cases")
        pages["cases of a category"] = await nino.get("/cases", params={"category": "drugs"})
        pages["cen"] = await nino.get("/cen")
    for name, page in pages.items():
        assert page.status_code in {200, 400}, (name, page.status_code)
        assert f'<html lang="{language}">' in page.text, name
    return pages


async def test_the_case_walk_sees_the_english_labels_and_problems(ge: Node) -> None:
    """In English, the walk's pages do show the reference labels and the quality problems
    that the translated walk must not show."""
    texts = texts_of(await case_walk(ge, "en"))
    shown = {
        label for found in labels_shown(texts, english_labels("en")).values() for label in found
    }
    assert len(shown) > 500 and {"Cocaine (hydrochloride, base, crack)", "Türkiye"} <= shown
    messages = {m for found in english_shown(texts, "en").values() for m in found}
    assert {
        "%(when)s is in the future",
        "%(when)s is implausibly early",
        "%(type)s is not of the category %(category)s",
        "%(type)s is not a %(mode)s conveyance",
        "%(quantity)s is not a whole number of %(unit)s",
        "%(quantity)s %(unit)s is implausible for one seizure (more than %(ceiling)s)",
        "%(value)s is not in the reference list %(list)s",
        "a name (surname, given names or an alias) is required",
        "required",
        "not a number",
        "not in the expected form",
        "a value needs its currency",
    } <= messages, sorted(messages)


@pytest.mark.parametrize("language", TRANSLATED)
async def test_the_translated_case_pages_show_no_english(ge: Node, language: str) -> None:
    fallbacks = cldr_fallbacks(language)
    texts = {
        name: [text for text in page if text not in fallbacks]  # the options of a few currencies
        for name, page in texts_of(await case_walk(ge, language)).items()
    }
    found = english_shown(texts, language)
    assert not found, f"English on the {language} case pages: {found}\n{UPDATE}"
    labels = labels_shown(texts, english_labels(language))
    assert not labels, f"English reference labels on the {language} case pages: {labels}"
    cldr = Locale.parse(language)
    everything = " ".join(" ".join(page) for page in texts.values())
    assert cldr.territories["TR"] in everything and cldr.currencies["EUR"] in everything


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_refusal_of_the_case_store_is_shown_translated(language: str) -> None:
    def shown() -> str:
        use_locale(language)
        exc = WrongState(WRONG_STATE["validate"], ref="abc", status=Word(DRAFT))
        return refused(exc).detail

    text = copy_context().run(shown)
    assert "abc" in text and translator(language).gettext(DRAFT) in text
    assert str(WrongState(WRONG_STATE["validate"], ref="abc", status=Word(DRAFT))) == (
        "case abc is draft: only a submitted case can validate"
    )
