"""The reference lists' labels as messages to translate: a Babel extraction method.

``babel.cfg`` names it for the lists' JSON files::

    [extractors]
    reference_labels = adapters.reference.catalog:extract_labels

    [reference_labels: adapters/reference/data/*.json]

so that ``pybabel extract`` lists every label in ``hub/locales/messages.pot`` (with the
list and code as a comment for the translators). Countries and currencies are left out:
the CLDR names them in every language (:data:`CLDR_LISTS`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

CLDR_LISTS = frozenset({"countries", "currencies"})
"""The lists whose labels are translated by the CLDR (Babel), not by the catalogues."""

Extracted = tuple[int, str | None, str, list[str]]


def extract_labels(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Each label of a reference list file as ``(line, None, label, [comment])``."""
    text = fileobj.read().decode("utf-8")
    document = json.loads(text)
    name = document["list"]
    if name in CLDR_LISTS:
        return
    lines = text.splitlines()
    line = 0
    for entry in document["entries"]:
        wanted = f'"label": {json.dumps(entry["label"], ensure_ascii=False)}'
        line = next((n for n in range(line, len(lines)) if wanted in lines[n]), line)
        yield line + 1, None, entry["label"], [f"reference list {name}, code {entry['code']}"]
