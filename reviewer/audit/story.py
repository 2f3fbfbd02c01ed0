"""A draft's full story for auditors, as plain data: what was asked, what we said, who let it out, under which policy.

The inbound post, every version with its verdict and findings (and
whether its text still matches its sha256, recomputed here), every
decision (approvals, rejections, returns, edits, posting) and who made it,
the policies (id, version, sha256) and scorer versions that judged it, and
every audit event about the draft or its post. Plain dataclasses and dicts,
so the page (and a printout) never touches live ORM objects.

Reads the drafting and review models; nothing below the web layer imports
this module (the audit core stays free of other domains).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.audit.browse import EventRow, events_about
from reviewer.audit.wording import passed_policy
from reviewer.drafting.common import text_sha256
from reviewer.drafting.models import Draft
from reviewer.retention.markers import text_marker
from reviewer.review.models import Approval, ReviewAction


@dataclass(frozen=True)
class VersionStory:
    number: int
    text: str
    text_sha256: str
    author: str
    created_at: datetime
    decision: str
    verdict: dict[str, Any]
    policy: dict[str, Any]
    scorer: dict[str, Any] | None
    text_now_sha256: str = ""  # the sha256 of the text as stored now, recomputed for this page
    text_matches: bool = True  # it equals text_sha256 (a purged text: it is exactly the retention marker)

    @property
    def rules(self) -> list[str]:
        return [finding.get("rule", "") for finding in self.verdict.get("findings", [])]


@dataclass(frozen=True)
class DecisionStory:
    """One step of the review: who did what to which version, when, and why (comment or reason)."""

    at: datetime
    who: str
    username: str
    action: str
    version: int | None
    comment: str | None


@dataclass(frozen=True)
class ApprovalStory:
    at: datetime
    who: str
    group: str
    version: int
    counts: bool  # it names the current text's sha256


@dataclass(frozen=True)
class DraftStory:
    draft: dict[str, Any]
    inbound: dict[str, Any] | None
    versions: list[VersionStory]
    decisions: list[DecisionStory]
    approvals: list[ApprovalStory]
    events: list[EventRow]
    policies: list[dict[str, Any]] = field(default_factory=list)  # distinct, in first-use order
    scorers: list[str] = field(default_factory=list)

    @property
    def current(self) -> VersionStory:
        return self.versions[-1]

    @property
    def auto_approval(self) -> str | None:
        """`Approved automatically: passed policy ...` when the policy, not a person, approved it (from its audit event)."""
        for event in reversed(self.events):
            automatic = event.action == "draft.auto_approved" or (
                event.action == "draft.approved" and event.details.get("by") == "policy"  # recorded before the split
            )
            if automatic:
                return passed_policy(event.details.get("policy") or self.current.policy)
        return None


def _name(user: User | None) -> str:
    return f"{user.display_name} ({user.username})" if user is not None else "unknown user"


def draft_story(session: Session, draft_id: int) -> DraftStory | None:
    """Everything known about draft `draft_id`, or None when there is no such draft."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        return None
    account = {"id": draft.account.id, "label": draft.account.label, "name": draft.account.name}
    numbers = {version.id: version.number for version in draft.versions}
    versions = []
    for version in draft.versions:
        now_sha256 = text_sha256(version.text)
        if version.text_purged_at is not None:
            matches = version.text == text_marker(version.text_purged_at, version.text_sha256)
        else:
            matches = now_sha256 == version.text_sha256
        verdict = dict(version.verdict or {})
        policy = dict(verdict.get("policy") or {})
        policy.setdefault("sha256", version.policy_sha256)
        versions.append(
            VersionStory(
                number=version.number,
                text=version.text,
                text_sha256=version.text_sha256,
                author=_name(version.author),
                created_at=version.created_at,
                decision=version.decision,
                verdict=verdict,
                policy=policy,
                scorer=verdict.get("scorer") or ({"name": "", "version": version.scorer_version} if version.scorer_version else None),
                text_now_sha256=now_sha256,
                text_matches=matches,
            )
        )
    current_sha = draft.current_version.text_sha256
    approvals = [
        ApprovalStory(a.created_at, _name(a.approver), a.group, numbers.get(a.version_id, 0), a.text_sha256 == current_sha)
        for a in session.scalars(select(Approval).where(Approval.draft_id == draft.id).order_by(Approval.id))
    ]
    decisions = [
        DecisionStory(step.created_at, _name(step.actor), step.actor.username if step.actor else "", step.action,
                      numbers.get(step.version_id) if step.version_id else None, step.comment)
        for step in session.scalars(select(ReviewAction).where(ReviewAction.draft_id == draft.id).order_by(ReviewAction.id))
    ]
    inbound = None
    refs = [("draft", str(draft.id))]
    if draft.inbound is not None:
        post = draft.inbound
        inbound = {
            "id": post.id,
            "author_handle": post.author_handle,
            "text": post.text,
            "url": post.url,
            "platform": post.platform,
            "received_at": post.received_at,
            "external_id": post.external_id,
            "account": account,
        }
        refs.append(("inbound", str(post.id)))
    policies: list[dict[str, Any]] = []
    for version in versions:
        if version.policy and version.policy not in policies:
            policies.append(version.policy)
    scorers = list(dict.fromkeys(
        f"{v.scorer.get('name', '')} {v.scorer.get('version', '')}".strip() for v in versions if v.scorer
    ))
    return DraftStory(
        draft={
            "id": draft.id,
            "state": draft.state,
            "decision": draft.decision,
            "routes": list(draft.routes or []),
            "approvals_required": draft.approvals_required,
            "account": account,
            "author": _name(draft.author),
            "created_at": draft.created_at,
            "submitted_at": draft.submitted_at,
            "approved_at": draft.approved_at,
            "posted_at": draft.posted_at,
            "posted_url": draft.posted_url,
        },
        inbound=inbound,
        versions=versions,
        decisions=decisions,
        approvals=approvals,
        events=events_about(session, refs),
        policies=policies,
        scorers=scorers,
    )
