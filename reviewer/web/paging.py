"""Long lists a page at a time: the page number a request asks for, and the query that keeps its filters."""

from __future__ import annotations

from collections.abc import Mapping

MAX_PAGE = 100_000


def requested_page(args: Mapping[str, str]) -> int:
    """The `page` query parameter (1 on the first page, and for anything that is not a page number)."""
    raw = args.get("page", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_PAGE else 1


def query_without_page(args: Mapping[str, str]) -> dict[str, str]:
    """The request's other query parameters (the filters), for the links to the pages either side."""
    return {key: value for key, value in args.items() if key != "page" and value}
