"""Errors of the case stores.

::

    CaseError                 anything a case store refuses (a HubError, so entry points show it)
    ├── QualityError          a record that fails the data-quality checks: every problem at once
    ├── NotAllowed            the user's role or the case's owner does not allow this
    ├── WrongState            the case is not in a state that allows this step
    └── HandlingRefused       the handling code of a foreign case forbids this (e.g. re-sharing)

``storage.NotFound`` reaches the caller as ``CaseError`` with its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.errors import HubError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: where (a dotted field path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CaseError(HubError):
    """Anything a case store refuses."""


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
