"""After a run: is every action a client saw succeed in the database, and does the audit chain verify?

Reads the database directly (an in-process app on the site's database) and
compares it with the ledger:

- every draft id a client got back is stored, by the author who sent it;
- its state is what the last acknowledged step says (the submission's
  approved/pending, or the one decision acknowledged on it), and no draft
  has two acknowledged decisions (two approvers cannot both win);
- approvals and review actions match the acknowledged ones, one for one;
- the audit events since setup match, action by action, what the clients
  caused; and the whole chain verifies with the site's key.

Requests whose answer never came (a dropped connection, a timeout, a 5xx)
may or may not have committed. More rows or events than acknowledged are
then noted, not counted as problems, as long as no more actions are unaccounted
for than such requests; fewer (an acknowledged action lost) is always a problem.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from loadgen.ledger import DECIDED_STATE, Ledger
from loadgen.site import Site

DRAFT_IN_PATH = re.compile(r"/drafts/(\d+)/")
#: The most audit events one request writes (a submission: created, checked, submitted, approved|routed).
EVENTS_PER_REQUEST = 4


@dataclass
class Reconciliation:
    expected: int = 0  # acknowledged actions checked (drafts, decisions, inbound posts, audited actions)
    reconciled: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # differences explained by answers that never came
    chain_ok: bool = False
    chain_events: int = 0
    chain_message: str = ""
    events: Counter = field(default_factory=Counter)  # audit action -> events since setup
    expected_events: Counter = field(default_factory=Counter)
    drafts_stored: int = 0
    approvals_stored: int = 0

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.problems and self.reconciled == self.expected

    def lines(self) -> list[str]:
        out = [f"reconciliation: {self.reconciled} / {self.expected} acknowledged actions found as acknowledged; "
               f"chain {'verifies' if self.chain_ok else 'DOES NOT VERIFY'} ({self.chain_events} events"
               f"{'; ' + self.chain_message if self.chain_message else ''})"]
        out.append(f"  database: {self.drafts_stored} drafts, {self.approvals_stored} approvals")
        names = sorted(set(self.events) | set(self.expected_events))
        out.append("  audit events since setup (stored / clients caused): " + ", ".join(
            f"{n} {self.events[n]}/{self.expected_events[n]}" for n in names))
        out += [f"  note: {n}" for n in self.notes[:20]]
        out += [f"  PROBLEM: {p}" for p in self.problems[:40]]
        if len(self.problems) > 40:
            out.append(f"  ... and {len(self.problems) - 40} more problems")
        return out


def _stored(site: Site) -> dict:
    """What the database holds, read in one session, and the chain's verification."""
    from sqlalchemy import func, select

    from reviewer.accounts.models import User
    from reviewer.audit import AuditEvent, verify
    from reviewer.db import app_session, get_database
    from reviewer.drafting.models import Draft, InboundPost
    from reviewer.review.models import Approval, ReviewAction

    app = site.app()
    try:
        with app_session(app) as session:
            names = dict(session.execute(select(User.id, User.username)).all())
            return {
                "drafts": {d.id: (names[d.author_id], d.state, d.account_id) for d in session.execute(
                    select(Draft.id, Draft.author_id, Draft.state, Draft.account_id)).all()},
                "approvals": Counter((a.draft_id, names[a.approver_id]) for a in session.execute(
                    select(Approval.draft_id, Approval.approver_id)).all()),
                "actions": Counter(session.scalars(select(ReviewAction.action))),
                "inbound": set(session.scalars(select(InboundPost.id))),
                "events": Counter(dict(session.execute(
                    select(AuditEvent.action, func.count()).where(AuditEvent.seq > site.setup_head_seq)
                    .group_by(AuditEvent.action)).all())),
                "verified": verify(session, session.info["audit_key"]),
            }
    finally:
        get_database(app).engine.dispose()


def reconcile(site: Site, ledger: Ledger) -> Reconciliation:
    """Compare the ledger with the database; see the module docstring for what is checked."""
    db = _stored(site)
    result = Reconciliation(events=db["events"], expected_events=Counter(ledger.audited))
    verified = db["verified"]
    result.chain_ok, result.chain_events = verified.ok, verified.count
    if not verified.ok and verified.first_bad is not None:
        result.chain_message = f"first bad event {verified.first_bad.seq}: {verified.first_bad.reason}"
    stored, approvals, actions = db["drafts"], db["approvals"], db["actions"]
    result.drafts_stored, result.approvals_stored = len(stored), sum(approvals.values())
    uncertain = [e for e in ledger.errors if e.status is None or e.status >= 500]
    uncertain_drafts = {int(m.group(1)) for e in uncertain if (m := DRAFT_IN_PATH.search(e.what + "/"))}

    def differs(what: str, have: int, want: int, *, allowed: int) -> None:
        """`have` stored against `want` acknowledged: fewer is a loss; more is noted while answers were lost."""
        if have == want:
            return
        if want < have <= want + allowed:
            result.notes.append(f"{what}: {have} stored, {want} acknowledged ({len(uncertain)} answers never came)")
        else:
            result.problems.append(f"{what}: {have} stored, {want} acknowledged")

    decided: dict[int, list] = {}
    for decision in ledger.decisions:
        decided.setdefault(decision.draft_id, []).append(decision)
    for draft_id, seen in ledger.drafts.items():
        result.expected += 1
        row = stored.get(draft_id)
        if row is None:
            result.problems.append(f"draft {draft_id} ({seen.via}, {seen.author}) was acknowledged but is not stored")
            continue
        author, state, account_id = row
        steps = decided.get(draft_id, [])
        wanted = DECIDED_STATE[steps[-1].action] if steps else seen.state
        if len(steps) > 1:
            result.problems.append(f"draft {draft_id}: {len(steps)} decisions acknowledged "
                                   f"({', '.join(f'{s.approver} {s.action}' for s in steps)}); only one may win")
        if (author, account_id) != (seen.author, seen.account_id):
            result.problems.append(f"draft {draft_id}: stored author {author}, account {account_id}; "
                                   f"the client saw {seen.author}, {seen.account_id}")
            continue
        if state != wanted and not (not steps and draft_id in uncertain_drafts):
            result.problems.append(f"draft {draft_id}: stored state {state}, the client saw {wanted}")
            continue
        result.reconciled += 1
    for decision in ledger.decisions:
        result.expected += 1
        if decision.draft_id not in ledger.drafts:
            result.problems.append(f"decision on draft {decision.draft_id} by {decision.approver}: no client saw it made")
        elif decision.action == "approve" and approvals[(decision.draft_id, decision.approver)] < 1:
            result.problems.append(f"approval of draft {decision.draft_id} by {decision.approver} was acknowledged, "
                                   "not stored")
        else:
            result.reconciled += 1
    for inbound_id in ledger.inbound:
        result.expected += 1
        if inbound_id in db["inbound"]:
            result.reconciled += 1
        else:
            result.problems.append(f"inbound post {inbound_id} was acknowledged but is not stored")

    acknowledged = Counter(d.action for d in ledger.decisions)
    for action, count in {"submit": len(ledger.drafts), **{a: acknowledged[a] for a in DECIDED_STATE}}.items():
        differs(f"review actions '{action}'", actions[action], count, allowed=len(uncertain))
    differs("approvals", result.approvals_stored, acknowledged["approve"], allowed=len(uncertain))
    differs("drafts", len(stored), len(ledger.drafts), allowed=len(uncertain))
    for action in sorted(set(result.expected_events) | set(result.events)):
        result.expected += 1
        have, want = result.events[action], result.expected_events[action]
        if have >= want:  # every acknowledged action's events are there (extras are judged by `differs`)
            result.reconciled += 1
        differs(f"audit events '{action}' since setup", have, want, allowed=len(uncertain) * EVENTS_PER_REQUEST)
    if result.chain_events != site.setup_head_seq + sum(result.events.values()):
        result.problems.append(f"the chain verified {result.chain_events} events; the table holds "
                               f"{site.setup_head_seq + sum(result.events.values())}")
    return result
