"""Frozen results that cross process boundaries: `screen_many`'s forked workers hand their matches back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

Rebuild = tuple[Callable[..., Any], tuple[Any, ...]]


def rebuilt(instance: Any) -> Rebuild:
    """The `__reduce__` of a frozen dataclass: rebuilt by its constructor from its fields.

    Compiled with mypyc, a frozen dataclass refuses the attribute assignments of default unpickling.
    """
    return type(instance), tuple(getattr(instance, field.name) for field in fields(instance))
