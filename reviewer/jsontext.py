"""JSON sent by people (request bodies, JSON Lines uploads), parsed with the limits the app needs.

`json.loads` raised RecursionError (not a ValueError) on 100,000 nested
`[`, and it accepts a lone surrogate (`"\\ud800"`), a string that cannot be
encoded or stored. `loads` turns both into `JsonTextError`, a ValueError
that says where the problem is.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The deepest nesting accepted: far more than any body or row the app reads.
MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonTextError(ValueError):
    """JSON the app cannot use; `where` names the key that holds the bad value (None: the text itself)."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


def loads(text: str | bytes) -> Any:
    """The parsed value; JsonTextError for bad JSON, nesting deeper than MAX_DEPTH, or a lone surrogate."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTextError(_too_deep()) from None
    except json.JSONDecodeError as error:
        raise JsonTextError(f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except UnicodeDecodeError:
        raise JsonTextError("not valid JSON: the text is not UTF-8") from None
    _check(value)
    return value


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep"


def _check(value: Any) -> None:
    """Walk the value (without recursion): depth and strings (keys too)."""
    stack: list[tuple[Any, str | None, int]] = [(value, None, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            match = _SURROGATE.search(item)
            if match:
                raise JsonTextError(
                    f"holds a lone surrogate (\\u{ord(match.group()):04x}), which is not a character", where or "body"
                )
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise JsonTextError(_too_deep())
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                name = key if isinstance(key, str) else f"[{key}]"
                if isinstance(key, str):
                    stack.append((key, where, depth + 1))
                path = name if where is None else (f"{where}{name}" if name.startswith("[") else f"{where}.{name}")
                stack.append((child, path, depth + 1))
