"""Searchable references of an audit event: `draft:12`, `account:3`, `decision:review`, `rule:pii.phone`.

Events are append-only, so what the audit browser filters on is worked out
once, when the event is recorded, and kept beside it in `audit_refs`
(insert-only, never part of the hash). Pure: standard library only, so the
recorder, the migration that backfills old events and the tests derive
references the same way.

From the subject `kind:id` comes (kind, id). From the data: `account_id`,
`inbound_post_id` and `draft_id` name the account, inbound post and draft;
`decision` (pass, review or block) the verdict's decision; `rules` (a list)
or `rule` the policy rules that fired. Events about a draft or an inbound
post that do not name their account get it from the first event about the
same thing (see `services.record`), so every draft event is findable by
account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reviewer.vocabulary import DECISIONS

MAX_NAME_LENGTH = 40
MAX_VALUE_LENGTH = 200
#: Subjects whose account is inherited from the first event about them.
ACCOUNT_SCOPED = ("draft", "inbound")
#: The filters the browser offers, by reference name.
FILTER_NAMES = ("account", "draft", "decision", "rule")

_ID_KEYS = {"account_id": "account", "inbound_post_id": "inbound", "draft_id": "draft"}
_SUBJECT = re.compile(r"^([a-z][a-z0-9_]*):(\S.*)$")

Ref = tuple[str, str]


def subject_ref(subject: str | None) -> Ref | None:
    """(`kind`, `id`) of a subject such as `draft:12`, or None when it has no such shape."""
    if not subject:
        return None
    match = _SUBJECT.match(subject)
    if not match or len(match.group(1)) > MAX_NAME_LENGTH or len(match.group(2)) > MAX_VALUE_LENGTH:
        return None
    return match.group(1), match.group(2)


def derive(subject: str | None, data: Mapping[str, Any] | None) -> list[Ref]:
    """Every reference the subject and data of one event give, without duplicates, in a fixed order."""
    found: list[Ref] = []
    own = subject_ref(subject)
    if own:
        found.append(own)
    data = data or {}
    for key, name in _ID_KEYS.items():
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            found.append((name, str(value)))
    decision = data.get("decision")
    if decision in DECISIONS:
        found.append(("decision", decision))
    rules = data.get("rules")
    rules = list(rules) if isinstance(rules, (list, tuple)) else []
    if isinstance(data.get("rule"), str):
        rules.append(data["rule"])
    for rule in rules:
        if isinstance(rule, str) and rule and len(rule) <= MAX_VALUE_LENGTH:
            found.append(("rule", rule))
    return list(dict.fromkeys(found))


def needs_account(refs: list[Ref], subject: str | None) -> Ref | None:
    """The subject to inherit an account from, when the event is about a draft or post and names none."""
    own = subject_ref(subject)
    if own is None or own[0] not in ACCOUNT_SCOPED:
        return None
    if any(name == "account" for name, _ in refs):
        return None
    return own


def derive_replaying(subject: str | None, data: dict | None, accounts: dict[Ref, str | None]) -> list[Ref]:
    """`derive`, plus the inherited account, for events replayed in order without a database.

    `accounts` maps each draft or post seen so far to its account; the first
    event about it decides, as in `record()`. Used where a whole trail is
    (re)built at once: the 0006 migration's backfill and the benchmarks.
    """
    found = derive(subject, data)
    named = next((value for name, value in found if name == "account"), None)
    for ref in found:
        if ref[0] in ACCOUNT_SCOPED:
            accounts.setdefault(ref, named)
    scoped = needs_account(found, subject)
    if scoped is not None and accounts.get(scoped) is not None:
        found.append(("account", accounts[scoped]))
    return found

