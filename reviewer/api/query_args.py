"""The JSON API's query-string parameters: checked, with a 422 naming the parameter when wrong."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from reviewer.api.errors import ApiError
from reviewer.numbers import whole_number
from reviewer.orm import MAX_ID
from reviewer.vocabulary import DECISIONS

QUEUE_LIMIT = 100  # queue items per answer unless `limit` says otherwise
MAX_QUEUE_LIMIT = 500
# The oldest a queue filter may ask for (a bigger age would overflow the date arithmetic).
MAX_AGE_MINUTES = 100 * 365 * 24 * 60


def number_arg(args: Mapping[str, str], name: str, default: int, least: int, most: int) -> int:
    """The query parameter `name` as a whole number from `least` to `most` (`default` when absent)."""
    raw = args.get(name, "")
    if not raw:
        return default
    value = whole_number(raw, most)
    if value is None or value < least:
        raise ApiError(422, "invalid", f"{name}: expected a whole number from {least} to {most}.", field=name)
    return value


def queue_window(args: Mapping[str, str]) -> tuple[int, int]:
    """(limit, offset) of a queue request: `limit` 1 to 500 (default 100), `offset` 0 or more."""
    return number_arg(args, "limit", QUEUE_LIMIT, 1, MAX_QUEUE_LIMIT), number_arg(args, "offset", 0, 0, MAX_ID)


def queue_filters(args: Mapping[str, str]) -> dict[str, Any]:
    """The queue filters asked for, as keyword arguments of `review.queue.queue_page`."""
    filters: dict[str, Any] = {}
    if args.get("account_id"):
        account_id = whole_number(args["account_id"], MAX_ID)
        if account_id is None:
            raise ApiError(422, "invalid", "account_id: expected an account's id (a whole number).", field="account_id")
        filters["account_id"] = account_id
    if args.get("decision"):
        if args["decision"] not in DECISIONS:
            raise ApiError(422, "invalid", f"decision: expected {', '.join(DECISIONS[:-1])} or {DECISIONS[-1]}.", field="decision")
        filters["decision"] = args["decision"]
    if args.get("rule"):
        filters["rule"] = args["rule"][:100]
    if args.get("older_than_minutes"):
        minutes = whole_number(args["older_than_minutes"], MAX_AGE_MINUTES)
        if minutes is None:
            raise ApiError(
                422, "invalid", f"older_than_minutes: expected a whole number up to {MAX_AGE_MINUTES} (100 years).",
                field="older_than_minutes",
            )
        filters["older_than"] = timedelta(minutes=minutes)
    return filters
