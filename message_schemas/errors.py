"""The one error this package raises: every problem with a message, each with its place."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic_core import ErrorDetails


class SchemaError(ValueError):
    """A message (or address) that does not fit its schema.

    ``problems`` lists every problem found, each as ``"field.path: what is wrong"``
    (or just ``"what is wrong"`` when it concerns the whole message).
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def problem(path: str, what: str) -> str:
    """One problem as the package reports it."""
    return f"{path}: {what}" if path else what


def describe(errors: Iterable[ErrorDetails], *, skip: int = 0) -> list[str]:
    """Pydantic's errors as problems, dropping the first ``skip`` parts of each location."""
    return [
        problem(".".join(str(part) for part in error["loc"][skip:]), error["msg"])
        for error in errors
    ]
