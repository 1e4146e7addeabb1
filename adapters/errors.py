"""Errors of the case stores.

::

    CaseError                 anything a case store refuses (a HubError, so entry points show it)
    ├── QualityError          a record that fails the data-quality checks: every problem at once
    ├── NotAllowed            the user's role or the case's owner does not allow this
    ├── WrongState            the case is not in a state that allows this step
    └── HandlingRefused       the handling code of a foreign case forbids this (e.g. re-sharing)

``storage.NotFound`` reaches the caller as ``CaseError`` with its text.

What the stores say is English, as the command line shows it. A refusal and a problem keep
their message as an English template (marked with :func:`N_` for ``pybabel extract``) and
its values apart, so that the web pages can translate the template and fill in the values
(a :class:`Word` translated too, a reference code as its label) in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hub.errors import HubError


def N_(message: str) -> str:
    """Mark an English message template for translation; it is translated where shown."""
    return message


class Word(str):
    """A value of a message that is itself a message (a case's status): a page translates it."""


def formatted(template: str, params: Mapping[str, object]) -> str:
    """A template with its ``%(name)s`` values filled in (without values: as it is)."""
    return template % params if params else template


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: where (a dotted field path) and what, as an English
    template and its values (``Problem("occurred_at", N_("%(when)s is in the future"),
    {"when": "2031-01-01 10:00"})``)."""

    field: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """What is wrong, in English."""
        return formatted(self.template, self.params)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CaseError(HubError):
    """Anything a case store refuses: its English text, from ``template`` and ``params``."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params: dict[str, object] = params
        super().__init__(formatted(template, params))


class QualityError(CaseError):
    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{what} has {len(self.problems)} problem(s):\n{listed}")


class NotAllowed(CaseError):
    pass


class WrongState(CaseError):
    pass


class HandlingRefused(CaseError):
    pass
