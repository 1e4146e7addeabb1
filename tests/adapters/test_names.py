"""Name and identifier search keys: scripts, transliteration variants, prefix matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.names import fold, identifier_key, key_prefixes, matches, name_key, name_tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ნინო  ბერიძე", "nino beridze"),  # Mtavruli capital, doubled space
        ("Müller-Lüdenscheidt", "muller ludenscheidt"),
        ("  O'Brien,  Seán ", "obrien sean"),
        ("ზურაბ ჟვანია", "zurab zhvania"),
        ("ეკატერინე", "ekaterine"),  # the ejective ტ's apostrophe goes
        ("Юрий Гагарин", "yuriy gagarin"),
        ("Наталья Щербакова", "natalya shcherbakova"),  # soft sign goes
        ("Łukasz Żółć", "lukasz zolc"),
        ("Ødegård", "odegard"),
        ("Straße", "strasse"),
        ("e\u0301tienne", "etienne"),  # decomposed accent
        ("ＡＢＣ ﬁ", "abc fi"),  # full width, ligature
        ("😀 Nino!", "nino"),  # symbols are separators, not words
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("letter", "latin"),
    [  # Georgian national romanisation (2002); ejective apostrophes dropped
        ("ჯ", "j"), ("ხ", "kh"), ("ძ", "dz"), ("წ", "ts"), ("ჭ", "ch"), ("ყ", "q"),
        ("ღ", "gh"), ("შ", "sh"), ("ჩ", "ch"), ("ც", "ts"), ("ჟ", "zh"), ("თ", "t"), ("კ", "k"),
        # Russian
        ("ж", "zh"), ("х", "kh"), ("ц", "ts"), ("ч", "ch"), ("ш", "sh"), ("щ", "shch"),
        ("ю", "yu"), ("я", "ya"), ("й", "y"), ("ё", "e"), ("ы", "y"), ("ь", ""), ("ъ", ""),
        # Ukrainian
        ("і", "i"), ("ї", "i"), ("є", "ie"), ("ґ", "g"),
    ],
)  # fmt: skip
def test_fold_transliteration_tables(letter: str, latin: str) -> None:
    assert fold(f"a{letter}a") == f"a{latin}a"
    assert fold(f"a{letter.upper()}a") == f"a{latin}a"


@pytest.mark.parametrize(
    "spellings",
    [
        ("ნინო ბერიძე", "Nino Beridze", "NINO BERIDZE", "Ნინო Ბერიძე", "Nino Beridse"),
        ("Шеварднадзе", "Shevardnadze", "შევარდნაძე", "Schewardnadse", "Ševardnadze"),
        (
            "Юрий Гагарин",
            "Yuri Gagarin",
            "Iurii Gagarin",
            "Jurij Gagarin",
            "Yuriy Gagarin",
            "Yury Gagarin",
        ),
        (
            "Михаил Саакашвили",
            "Mikhail Saakashvili",
            "Mihail Saakashvili",
            "მიხაილ სააკაშვილი",
            "Mikhail Saakaschwili",
        ),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Ødegård", "odegard"),
        ("Tsiskaridze", "Ciskaridze", "ცისკარიძე", "Tziskaridze"),
        ("ზურაბ ჟვანია", "Zurab Zhvania", "Зураб Жвания", "Zurab Žvania"),
        ("ეკატერინე", "Ekaterine"),
        ("Екатерина", "Ekaterina", "Yekaterina", "Jekaterina"),
        ("Елена", "Elena", "Yelena", "Jelena"),
        ("Олександр Шевченко", "Oleksandr Shevchenko", "Oleksandr Schewtschenko"),
        ("Щербаков", "Shcherbakov", "Szczerbakow", "Schtscherbakow", "Ščerbakov"),
        ("Зеленський", "Zelensky", "Zelenskyy", "Zelenskiy", "Zelenskyi", "Zelenskij"),
        ("Юлія Тимошенко", "Yulia Tymoshenko", "Yuliya Tymoshenko", "Iuliia Tymoshenko"),
        ("Олег", "Oleg", "Oleh"),
        ("Ігор", "Igor", "Ihor"),
        ("Григорій", "Grigory", "Hryhorii", "Hryhoriy", "Grigoriy"),
        ("Сергій", "Serhii", "Serhiy", "Sergiy"),
        ("Дмитрий", "Dmitry", "Dmitrii", "Dmitriy", "Dmitri"),
        ("Алексей", "Aleksey", "Alexei", "Aleksei", "Alexey", "Aleksej"),
        ("Максим", "Maksim", "Maxim"),
        ("Мария", "Maria", "Mariya", "Mariia", "Marija"),
        ("Наталья", "Natalya", "Natalia", "Natalja"),
        ("Хрущёв", "Khrushchev", "Hrushchev"),
        ("ჯუღაშვილი", "Jughashvili", "Jugashvili", "Джугашвили", "Dzhugashvili", "Djugashvili"),
        ("ჭავჭავაძე", "Chavchavadze", "Tchavtchavadze", "Čavčavadze"),
        ("ყიფიანი", "Qipiani", "Q'ipiani", "Kipiani", "Кипиани"),
        ("წერეთელი", "Tsereteli", "Ts'ereteli", "Церетели", "Cereteli"),
        ("ჩხეიძე", "Chkheidze", "Чхеидзе"),
        ("მაია", "Maia", "Maya", "Майя"),
        ("ანა", "Ana", "Anna", "Анна"),
    ],
)
def test_variant_spellings_share_a_key(spellings: tuple[str, ...]) -> None:
    keys = {name_key(spelling) for spelling in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Nino", "Nina"),
        ("Tamar", "Tamara"),
        ("Beridze", "Beradze"),
        ("Giorgi", "Gia"),
        ("Mikhail", "Mikheil"),
        ("Ivanov", "Ivanova"),
        ("Nino Beridze", "Beridze Nino"),  # word order is kept
        ("Zurab", "Zaza"),
    ],
)
def test_distinct_names_stay_distinct(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_name_key_shape() -> None:
    assert name_key("  Nino   Beridze ") == "nino berize"
    assert name_key("Юрий") == "iuri"
    assert name_key("Mikhail") == "migail"
    assert name_key("...") == ""
    assert name_tokens("ნინო  ბერიძე") == ["nino", "berize"]
    assert name_tokens("") == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("beridze", "ნინო ბერიძე"),
        ("nin ber", "Nino Beridze"),
        ("ber nin", "Nino Beridze"),  # order-free
        ("BERIDZE n", "Nino Beridze"),
        ("gagarin yuri", "Юрий Гагарин"),
        ("jurij", "Юрий Гагарин"),
        ("saakash", "Михаил Саакашвили"),
        ("berid", "Nino Beridze"),  # query stops inside the digraph dz
        ("mik", "Михаил Саакашвили"),  # ... inside kh
        ("shevardnad", "Шеварднадзе"),
        ("tsisk", "Ciskaridze"),
        ("shch", "Щербаков"),
        ("o'br", "O'Brien"),
    ],
)
def test_matches(query: str, name: str) -> None:
    assert matches(query, name)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("tamar", "Nino Beridze"),
        ("nino tamar", "Nino Beridze"),  # every query word must match
        ("ino", "Nino Beridze"),  # prefixes only
        ("berid", "Berishvili"),  # a cut digraph still has to fit
        ("", "Nino Beridze"),  # an empty query finds nothing
        ("  -- ", "Nino Beridze"),
        ("nino", ""),
    ],
)
def test_does_not_match(query: str, name: str) -> None:
    assert not matches(query, name)


@pytest.mark.parametrize(
    ("word", "prefixes"),
    [
        ("tamar", {"tamar"}),
        ("berid", {"berid", "beriz", "berii"}),  # Beridze (dz), or a d before j/dzh
        ("mik", {"mik", "mig"}),  # Mikhail (kh)
        ("shevardnad", {"sevardnad", "sevardnaz", "sevardnai"}),
    ],
)
def test_a_word_typed_stands_for_these_key_beginnings(word: str, prefixes: set[str]) -> None:
    """What the index is asked for: a key word matches when it starts with one of them."""
    assert key_prefixes(word) == prefixes


@given(st.text(alphabet="abdeghiklnrstvzcjy "), st.text(alphabet="abdeghiklnrstvzcjy "))
def test_a_query_matches_exactly_where_the_index_finds_its_key_beginnings(
    query: str, name: str
) -> None:
    """The search asks the index for key_prefixes, then keeps what matches() says."""
    words, tokens = fold(query).split(), name_tokens(name)
    by_prefixes = bool(words) and all(
        any(token.startswith(p) for token in tokens for p in key_prefixes(word)) for word in words
    )
    assert matches(query, name) == by_prefixes


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (" 12-AB 345/6 ", "12ab3456"),
        ("GE 01.234.567", "ge01234567"),
        ("А 123 ВС 77", "a123bc77"),  # Cyrillic look-alikes read as the Latin letters they resemble
        ("А123ВС77", identifier_key("A123BC77")),
        ("AB–12 34", "ab1234"),  # en dash
        ("ჟ-12", "zh12"),  # Georgian is transliterated
    ],
)
def test_identifier_key(text: str, key: str) -> None:
    assert identifier_key(text) == key


def _is_key_text(value: str) -> bool:
    return value.isascii() and value == value.strip() and "  " not in value


@given(st.text())
def test_fold_is_ascii_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert _is_key_text(folded)
    assert fold(folded) == folded


@given(st.text())
def test_name_key_is_ascii_and_idempotent(text: str) -> None:
    key = name_key(text)
    assert _is_key_text(key)
    assert name_key(key) == key
    assert name_tokens(text) == key.split()


@given(st.text())
def test_a_name_matches_itself(text: str) -> None:
    if name_key(text):
        assert matches(text, text)
        assert matches(name_key(text), text)


@given(st.text(alphabet="abcdeghijkstuxyzчшщжхцйюяჯხძწჭყღშჩც'- "))
def test_name_key_idempotent_on_digraph_soup(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    if key:
        assert matches(text, text)


@given(st.text())
def test_identifier_key_is_alphanumeric(text: str) -> None:
    key = identifier_key(text)
    assert key.isascii()
    assert key == "" or key.isalnum()
    assert identifier_key(key) == key
