"""URL converters: `<int:...>` ids stop at the largest 64-bit integer the databases store.

Werkzeug's `int` converter accepts any number of digits; a 30-digit id then
reached the database driver and failed there (OverflowError on SQLite, a
500) instead of being the 404 any unknown id is.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from reviewer.orm import MAX_ID


class BoundedIntegerConverter(IntegerConverter):
    """`int`, bounded to what a database column holds: a bigger number matches no route (404)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False) -> None:  # Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def init_app(app: Flask) -> None:
    """Replace the `int` converter; call before any blueprint is registered (rules bind their converters then)."""
    app.url_map.converters["int"] = BoundedIntegerConverter
