"""What the --jsonl commands (`check`, `toxicity score`) share: the error for a line they cannot use."""

from __future__ import annotations

from typing import Any


class LineError(ValueError):
    """A --jsonl line that cannot be used; carries the line's id when it had one."""

    def __init__(self, message: str, ident: Any = None) -> None:
        super().__init__(message)
        self.ident = ident
