"""Long lists a page at a time: the page a service hands back, and the page a request asks for.

Used by the approver queue and the inbox; plain Python, so services and
views alike can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from reviewer.numbers import whole_number

T = TypeVar("T")
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """`items` of a list of `total`, starting at `offset`, at most `limit` of them (None: all the rest)."""

    items: list[T]
    total: int
    offset: int
    limit: int | None

    @property
    def has_more(self) -> bool:
        return self.limit is not None and self.offset + len(self.items) < self.total


def requested_page(args: Mapping[str, str]) -> int:
    """The `page` query parameter (1 on the first page, and for anything that is not a page number)."""
    page = whole_number(args.get("page", ""), MAX_PAGE)
    return page if page else 1


def query_without_page(args: Mapping[str, str]) -> dict[str, str]:
    """The request's other query parameters (the filters), for the links to the pages either side."""
    return {key: value for key, value in args.items() if key != "page" and value}
