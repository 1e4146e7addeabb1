"""Search keys for names of suspects and companies, across scripts and spellings.

Officers type the Latin spelling of a name they heard or read in a foreign
request; the record may hold it in Georgian (Mkhedruli or Mtavruli), Cyrillic or
another Latin transliteration. The standards differ: Georgian national (2002)
vs. scholarly, Russian passports' ICAO "Iurii" vs. English "Yuri" vs. German
"Jurij"/"Schewardnadse", Ukrainian "Oleh"/"Ihor" vs. Russian "Oleg"/"Igor". So
exact comparison finds little, and the keys below work in three layers.

``fold`` keeps the spelling but drops script and typography: NFKC, then each
letter or digit goes through anyascii. Georgian comes out in the national 2002
system (ჯ j, ხ kh, ძ dz, წ ts', ჭ ch', ყ q', ღ gh, შ sh, ჩ ch, ც ts), Russian
in BGN style (ж zh, х kh, ц ts, ч ch, ш sh, щ shch, ю yu, я ya, й y, ё e, ы y,
ь/ъ '), and Latin loses its accents (ü u, ł l, ø o, ß ss). Both of those tables
are what the brief asked for, so no override table is needed. The result is
lower-cased and apostrophes (ejective marks, soft signs, O'Brien) vanish. Every
other run of characters outside [a-z0-9] becomes one space.

``name_key`` folds, then rewrites each word left to right, longest rule first:

    sh sch sz (š ş ś)              -> s    Shevardnadze = Schewardnadse, Łukasz
    zh dz ds (ž ż ź)               -> z    Zhvania = Žvania, Beridze = Beridse
    ts tz cz ch tch tsch (č ć ç) c -> c    Tsiskaridze = Ciskaridze, Chavchavadze = Čavčavadze
    dzh dj j y                     -> i    Yuri = Iurii = Jurij, Maya = Maia, Jugashvili = Dzhugashvili
    kh gh h g                      -> g    Mikhail = Mihail, Oleh = Oleg, Jughashvili = Jugashvili
    x -> ks, q -> k, ck -> k, ph -> f, th -> t, w -> v      Maxim = Maksim, Qipiani = Kipiani

The carons and cedillas are gone after folding, so the English digraphs have to
fall onto the bare letter too. Next, doubled letters collapse (Saakashvili =
Sakashvili, Iurii = Iuri, Anna = Ana). Then a word-initial "ie" loses its i
(Yelena = Elena, Yekaterina = Ekaterina). All of this repeats until nothing
changes, so the key is idempotent. The vowels a e i o u stay (Nino != Nina), and
so does word order. The costs: ч/ц (ჩ/ც) share c, ш/с share s, ჯ/й share i,
г/х/ღ/ჰ share g, and Latin c is never k (Carlos != Karlos). French ch = ш,
German z = ц and yo = ё (Fyodor vs. Fedor) are not merged.

``matches`` is prefix matching on the key words. A query word cut inside a
digraph ("Berid" for Beridze, "Mik" for Mikhail) is tolerated as well.
``identifier_key`` is for document and registration numbers: first the Cyrillic
letters that look Latin are read by shape (plates and passport series "АВ" are
typed "AB"), then fold, and only [a-z0-9] is kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = ["fold", "identifier_key", "key_prefixes", "matches", "name_key", "name_tokens"]

_APOSTROPHES = frozenset("'`´‘’ʹʺʻʼʽ′″")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

#: letter rules of name_key, tried longest first at each position of a word
_RULES: dict[str, str] = {
    "tsch": "c", "dzh": "i", "sch": "s", "tch": "c",
    "dj": "i", "dz": "z", "ds": "z", "ts": "c", "tz": "c", "cz": "c", "ch": "c",
    "sh": "s", "sz": "s", "zh": "z", "kh": "g", "gh": "g", "ph": "f", "th": "t", "ck": "k",
    "h": "g", "j": "i", "y": "i", "q": "k", "w": "v", "x": "ks",
}  # fmt: skip
_RULE_RE = re.compile("|".join(sorted(_RULES, key=len, reverse=True)))
_DOUBLED = re.compile(r"([a-z])\1+")
_INITIAL_IE = re.compile(r"\bie")

#: the start of a multi-letter rule -> the first key letters the whole rule can give
_PARTIAL: dict[str, frozenset[str]] = {}
for _lhs, _out in _RULES.items():
    for _i in range(1, len(_lhs)):
        _PARTIAL[_lhs[:_i]] = _PARTIAL.get(_lhs[:_i], frozenset()) | {_out[0]}

#: Cyrillic letters read by their Latin look-alike in identifiers (В is B there, not V)
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТУХІЈЅавекмнорстухіјѕ", "ABEKMHOPCTYXIJSabekmhopctyxijs")


@lru_cache(maxsize=4096)
def _char(ch: str) -> str:
    if ch in _APOSTROPHES:
        return ""
    category = unicodedata.category(ch)[0]
    if category in "LN":
        return anyascii(ch)
    return "" if category == "M" else " "


def fold(text: str) -> str:
    """Lowercase ASCII: any script transliterated, accents and apostrophes gone, words single-spaced.

    'Ნინო  ბერიძე' -> 'nino beridze'; 'Müller-Lüdenscheidt' -> 'muller ludenscheidt'.
    """
    ascii_text = "".join(_char(ch) for ch in unicodedata.normalize("NFKC", text)).lower()
    ascii_text = "".join(ch for ch in ascii_text if ch not in _APOSTROPHES)
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def _rewrite(key: str) -> str:
    key = _RULE_RE.sub(lambda m: _RULES[m.group()], key)
    return _INITIAL_IE.sub("e", _DOUBLED.sub(r"\1", key))


def name_key(text: str) -> str:
    """The spelling-variant skeleton of fold(text) (rules in the module docstring).

    'ნინო ბერიძე', 'Nino Beridze' -> 'nino berize'; 'Юрий', 'Iurii', 'Jurij' -> 'iuri'.
    """
    key = fold(text)
    while (rewritten := _rewrite(key)) != key:
        key = rewritten
    return key


def name_tokens(text: str) -> list[str]:
    """The words of name_key(text), for 'every query word starts some name word' matching."""
    return name_key(text).split()


@lru_cache(maxsize=4096)
def key_prefixes(word: str) -> frozenset[str]:
    """The beginnings of key words that the folded query word `word` starts.

    Its own key, and, when the query stops inside a digraph that the full name completes,
    the key of what comes before with each first letter the digraph can give: 'berid'
    starts 'berize' (Beridze) through 'beriz', and 'mik' starts 'migail' (Mikhail)
    through 'mig'. A key word matches when it starts with one of them.
    """
    prefixes = {name_key(word)}
    for cut in (1, 2, 3):
        head, tail = word[:-cut], word[-cut:]
        if head and tail in _PARTIAL:
            head_key = name_key(head)
            prefixes |= {head_key + letter for letter in _PARTIAL[tail]}
    return frozenset(prefixes)


def _word_matches(word: str, token: str) -> bool:
    """Whether the folded query word `word` starts the key word `token` (key_prefixes)."""
    return any(token.startswith(prefix) for prefix in key_prefixes(word))


def matches(query: str, name: str) -> bool:
    """Whether every word of the query starts some word of the name, in any order.

    Both sides are compared by name_key. An empty query matches nothing.
    matches('beridze', 'ნინო ბერიძე') and matches('nin ber', 'Nino Beridze') are true;
    matches('tamar', 'Nino Beridze') is false.
    """
    words = fold(query).split()
    tokens = name_tokens(name)
    return bool(words) and all(any(_word_matches(w, t) for t in tokens) for w in words)


def identifier_key(text: str) -> str:
    """For document and registration numbers: look-alikes read as Latin, folded, only [a-z0-9].

    ' 12-AB 345/6 ' -> '12ab3456'; Cyrillic 'А 123 ВС' -> 'a123bc'; Georgian letters are transliterated.
    """
    return _NON_ALNUM.sub("", fold(text.translate(_HOMOGLYPHS)))
