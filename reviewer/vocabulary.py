"""The words every part of the product shares, defined once.

A pure module (no imports): the policy engine, the workflow rules, the models'
CHECK constraints, the forms and the API all take these tuples from here.
"""

from __future__ import annotations

#: What a check decides about a draft, mildest first.
DECISIONS = ("pass", "review", "block")

#: Where a draft is in its life (the workflow's transitions are in reviewer/review/workflow.py).
DRAFT_STATES = ("draft", "pending", "approved", "rejected", "returned", "posted")

#: The platforms an organisation account is on.
PLATFORMS = ("x", "facebook", "instagram", "linkedin")
PLATFORM_LABELS = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "linkedin": "LinkedIn"}
#: Other names a policy or a check may use for a platform.
PLATFORM_ALIASES = {"twitter": "x"}
#: Every name a policy or `reviewer check --platform` accepts.
PLATFORM_NAMES = (*PLATFORMS[:1], *PLATFORM_ALIASES, *PLATFORMS[1:])


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """`column IN ('a', 'b')` for a CHECK constraint built from one of the tuples above."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"
