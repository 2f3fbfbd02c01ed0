"""Plain JSON shapes of the API's resources (the OpenAPI document describes the same shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import OrgAccount

EMPTY: Mapping[int, str] = MappingProxyType({})


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, or None."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def account_json(account: OrgAccount, may_draft: bool) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "platform": account.platform,
        "handle": account.handle,
        "policy_file": account.policy_file,
        "may_draft": may_draft,
    }


def inbound_json(post: InboundPost) -> dict[str, Any]:
    return {
        "id": post.id,
        "account_id": post.account_id,
        "platform": post.platform,
        "author_handle": post.author_handle,
        "text": post.text,
        "url": post.url,
        "external_id": post.external_id,
        "received_at": timestamp(post.received_at),
        "created_at": timestamp(post.created_at),
        "answered_at": timestamp(post.answered_at),
    }


def version_json(version: DraftVersion, names: Mapping[int, str] = EMPTY) -> dict[str, Any]:
    return {
        "number": version.number,
        "text": version.text,
        "text_sha256": version.text_sha256,
        "author": names.get(version.author_id) or version.author.username,
        "decision": version.decision,
        "verdict": version.verdict,
        "created_at": timestamp(version.created_at),
    }


def draft_json(draft: Draft, approvals: list[Any] | None = None, names: Mapping[int, str] = EMPTY) -> dict[str, Any]:
    """A draft with its current version's verdict; `approvals` (Approval rows) of the current text.

    `names`: usernames already at hand by user id (the caller's own), so an
    author who is the caller is not loaded again.
    """
    return {
        "id": draft.id,
        "account_id": draft.account_id,
        "inbound_id": draft.inbound_post_id,
        "author": names.get(draft.author_id) or draft.author.username,
        "state": draft.state,
        "decision": draft.decision,
        "routes": list(draft.routes or []),
        "approvals_required": draft.approvals_required,
        "version": draft.lock_version,
        "created_at": timestamp(draft.created_at),
        "submitted_at": timestamp(draft.submitted_at),
        "approved_at": timestamp(draft.approved_at),
        "posted_at": timestamp(draft.posted_at),
        "posted_url": draft.posted_url,
        "current": version_json(draft.current_version, names),
        "versions": len(draft.versions),
        "approvals": [
            {"group": a.group, "approver": names.get(a.approver_id) or a.approver.username, "created_at": timestamp(a.created_at)}
            for a in approvals or []
        ],
    }


def queue_item_json(item: Any, names: Mapping[int, str] = EMPTY) -> dict[str, Any]:
    """One entry of an approver queue (reviewer.review.queue.QueueItem)."""
    return {
        "draft": draft_json(item.draft, list(item.approvals), names),
        "inbound": inbound_json(item.inbound) if item.inbound is not None else None,
        "waiting_minutes": item.waiting_minutes,
        "outstanding_groups": list(item.outstanding_groups),
        "approvers_missing": item.approvers_missing,
    }
