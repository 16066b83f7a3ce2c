"""Field checks from core_ext.fields, with the JSON path a rejection names."""

from __future__ import annotations

from collections.abc import Callable

from core_ext.field_error import FieldError
from routing.errors import FieldInvalid


def check(checker: Callable[[object], object], value: object, path: str) -> None:
    """Run one core_ext.fields check; its FieldError becomes FIELD_INVALID at ``path``."""
    try:
        checker(value)
    except FieldError as exc:
        raise FieldInvalid(str(exc), path=path) from None
