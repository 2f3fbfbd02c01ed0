"""Policy replay: what a new policy would decide on the drafts already stored.

An agency runs a candidate policy over its real drafts before adopting it,
to see how approvers' work would change: counts by decision and by rule,
before and after, and every draft whose decision changes. Reads only: each
draft's latest version (its text, its stored verdict, the time it was
checked) and the post it answered; purged texts are skipped. Drafts are read
and checked in batches, so the sentence encoder sees many sentences per call
(and uses a GPU when it has one).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import OrgAccount
from reviewer.policy import Draft as PolicyDraft

BATCH = 512


@dataclass(frozen=True)
class Change:
    draft_id: int
    account_id: int
    before: str
    after: str
    rules_before: tuple[str, ...]
    rules_after: tuple[str, ...]
    excerpt: str


@dataclass
class ReplayResult:
    """What the replay found, in plain data for text and JSON output."""

    policy: dict[str, str]
    drafts: int = 0
    skipped_purged: int = 0
    decisions_before: Counter = field(default_factory=Counter)
    decisions_after: Counter = field(default_factory=Counter)
    rules_before: Counter = field(default_factory=Counter)
    rules_after: Counter = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        rules = sorted(set(self.rules_before) | set(self.rules_after))
        return {
            "policy": self.policy,
            "drafts": self.drafts,
            "skipped_purged": self.skipped_purged,
            "decisions": {d: {"before": self.decisions_before[d], "after": self.decisions_after[d]}
                          for d in ("pass", "review", "block")},
            "rules": {r: {"before": self.rules_before[r], "after": self.rules_after[r]} for r in rules},
            "changed": [{"draft_id": c.draft_id, "account_id": c.account_id, "before": c.before, "after": c.after,
                         "rules_before": list(c.rules_before), "rules_after": list(c.rules_after),
                         "excerpt": c.excerpt} for c in self.changes],
            "seconds": round(self.seconds, 3),
        }

    def describe(self, limit: int = 50) -> str:
        lines = [f"Replayed {self.drafts} drafts with {self.policy['id']} {self.policy['version']} "
                 f"({self.policy['sha256'][:12]}) in {self.seconds:.1f} s"
                 + (f"; {self.skipped_purged} skipped (texts purged)" if self.skipped_purged else "")]
        lines.append("Decisions      before   after   change")
        for decision in ("pass", "review", "block"):
            before, after = self.decisions_before[decision], self.decisions_after[decision]
            lines.append(f"  {decision:<12}{before:>7} {after:>7} {after - before:>+8}")
        lines.append("Rules (drafts they fire on, not notes)      before   after   change")
        for rule in sorted(set(self.rules_before) | set(self.rules_after),
                           key=lambda r: (-abs(self.rules_after[r] - self.rules_before[r]), r)):
            before, after = self.rules_before[rule], self.rules_after[rule]
            lines.append(f"  {rule:<42}{before:>7} {after:>7} {after - before:>+8}")
        lines.append(f"Drafts whose decision changes: {len(self.changes)}")
        for change in self.changes[:limit]:
            lines.append(f"  #{change.draft_id} {change.before} -> {change.after} "
                         f"[{', '.join(change.rules_after) or '-'}] {change.excerpt!r}")
        if len(self.changes) > limit:
            lines.append(f"  ... and {len(self.changes) - limit} more (--format json lists them all)")
        return "\n".join(lines)


def _latest_versions(session: Session, since: dt.datetime | None, account_id: int | None) -> Iterator[tuple]:
    latest = (select(DraftVersion.draft_id, func.max(DraftVersion.number).label("number"))
              .group_by(DraftVersion.draft_id).subquery())
    query = (select(Draft.id, Draft.account_id, OrgAccount.platform, DraftVersion.text, DraftVersion.text_purged_at,
                    DraftVersion.decision, DraftVersion.verdict, DraftVersion.created_at,
                    InboundPost.text, InboundPost.text_purged_at)
             .join(latest, latest.c.draft_id == Draft.id)
             .join(DraftVersion, (DraftVersion.draft_id == Draft.id) & (DraftVersion.number == latest.c.number))
             .join(OrgAccount, OrgAccount.id == Draft.account_id)
             .outerjoin(InboundPost, InboundPost.id == Draft.inbound_post_id)
             .order_by(Draft.id))
    if since is not None:
        query = query.where(Draft.created_at >= since)
    if account_id is not None:
        query = query.where(Draft.account_id == account_id)
    yield from session.execute(query.execution_options(yield_per=BATCH))


def _rules(verdict: Any) -> tuple[str, ...]:
    findings = verdict.get("findings", []) if isinstance(verdict, dict) else []
    return tuple(sorted({f["rule"] for f in findings if f.get("action") != "note"}))


def replay(session: Session, policy: Any, scorer: Any = None, since: dt.datetime | None = None,
           account_id: int | None = None) -> ReplayResult:
    """Check every stored draft's latest text with `policy`; compare with the stored verdict."""
    import time

    started = time.perf_counter()
    result = ReplayResult(policy={"id": policy.id, "version": policy.version, "sha256": policy.sha256})
    batch: list[tuple] = []

    def flush() -> None:
        drafts = [PolicyDraft(text, platform, checked_at, inbound)
                  for (_, _, platform, text, _, _, checked_at, inbound) in batch]
        for row, verdict in zip(batch, policy.check_batch(drafts, scorer=scorer)):
            draft_id, account, _, text, before, rules_before, _, _ = row
            rules_after = tuple(sorted({f.rule for f in verdict.findings if f.action != "note"}))
            result.drafts += 1
            result.decisions_before[before] += 1
            result.decisions_after[verdict.decision] += 1
            result.rules_before.update(rules_before)
            result.rules_after.update(rules_after)
            if verdict.decision != before:
                result.changes.append(Change(draft_id, account, before, verdict.decision, rules_before, rules_after,
                                             text[:120]))
        batch.clear()

    for (draft_id, account, platform, text, purged, decision, verdict, checked_at, inbound, inbound_purged) in \
            _latest_versions(session, since, account_id):
        if purged is not None:
            result.skipped_purged += 1
            continue
        batch.append((draft_id, account, platform, text, decision, _rules(verdict), checked_at,
                      inbound if inbound_purged is None else None))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    result.seconds = time.perf_counter() - started
    return result
