"""Demo data: Harbour City Council, its people and social accounts.

`load_demo` is idempotent: it does nothing when the demo agency is already
there. `load_demo_posts` adds believable public posts to the demo accounts
(some needing safeguarding, press or legal eyes) and replies in every state,
all through the real drafting and review services, so the inbox, queues,
dashboard and audit trail have something true to show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.accounts.passwords import generate_password
from reviewer.accounts.services import create_user
from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.orgs.models import OrgAccount
from reviewer.orgs.services import create_account, list_policy_files

AGENCY = "Harbour City Council"
MARKER_USERNAME = "admin"

# username, full name, roles, groups
DEMO_USERS = (
    ("admin", "Aroha Ngata", ["admin"], []),
    ("sam.staff", "Sam Patel", ["staff"], []),
    ("jo.staff", "Jo Williams", ["staff"], []),
    ("mere.comms", "Mere Tainui", ["approver"], ["comms", "press"]),
    ("lee.safeguarding", "Lee Chen", ["approver"], ["safeguarding"]),
    ("kim.legal", "Kim O'Brien", ["approver"], ["legal", "political"]),
    ("pat.auditor", "Pat Hughes", ["auditor"], []),
)

# name, platform, handle
DEMO_ACCOUNTS = (
    ("Harbour City Council on X", "x", "@HarbourCityNZ"),
    ("Harbour City Council Facebook page", "facebook", "HarbourCityCouncil"),
    ("Harbour City Council on Instagram", "instagram", "@harbourcitynz"),
)

PREFERRED_POLICIES = ("city-council.yaml", "government.yaml")


class DemoError(Exception):
    """The demo cannot be loaded; the message says what to do."""


@dataclass
class DemoResult:
    loaded: bool
    passwords: dict[str, str] = field(default_factory=dict)  # username -> password
    roles: dict[str, str] = field(default_factory=dict)  # username -> "approver (legal, comms)"
    accounts: list[str] = field(default_factory=list)
    posts: int = 0


def demo_loaded(session: Session) -> bool:
    return session.scalar(select(User).where(User.username == MARKER_USERNAME)) is not None


def choose_policy(policy_dir: Path) -> str:
    available = list_policy_files(policy_dir)
    for name in PREFERRED_POLICIES:
        if name in available:
            return name
    raise DemoError(
        f"No demo policy in {policy_dir}: expected one of {', '.join(PREFERRED_POLICIES)} "
        f"(found: {', '.join(available) or 'nothing'})."
    )


def load_demo(
    session: Session, policy_dir: Path, password: str | None = None, checker: Any | None = None
) -> DemoResult:
    """Create the demo agency on an empty database; flush, the caller commits.

    `password`: one password for every demo user (REVIEWER_DEMO_PASSWORD);
    otherwise each gets a generated one. `checker`: the app's Checker (by
    default one on `policy_dir` with the embedded toxicity scorer).
    """
    if demo_loaded(session):
        return DemoResult(loaded=False)
    if session.scalar(select(User).limit(1)) is not None:
        raise DemoError(
            "The database already has users but no demo agency: the demo loads only into an empty database. "
            "Use a fresh database (REVIEWER_DATABASE_URL) to try the demo."
        )
    policy_file = choose_policy(policy_dir)
    result = DemoResult(loaded=True)
    users: dict[str, User] = {}
    for username, name, roles, groups in DEMO_USERS:
        chosen = password or generate_password()
        users[username] = create_user(session, None, username, chosen, roles, groups, display_name=name)
        result.passwords[username] = chosen
        result.roles[username] = ", ".join(roles) + (f" ({', '.join(groups)})" if groups else "")
    accounts: list[OrgAccount] = []
    for name, platform, handle in DEMO_ACCOUNTS:
        account = create_account(
            session, None, name=name, platform=platform, handle=handle, policy_file=policy_file, policy_dir=policy_dir
        )
        accounts.append(account)
        result.accounts.append(account.label)
    if checker is None:
        from reviewer.checking import Checker
        from reviewer.encoder import encoder_from_env
        from reviewer.toxicity import load_scorer

        encoder = encoder_from_env()
        checker = Checker(policy_dir, load_scorer("embedded"), encoder, skip_semantic=encoder is None)
    result.posts = load_demo_posts(session, accounts, users, checker)
    record(session, None, "demo.loaded", None, {"agency": AGENCY, "policy_file": policy_file})
    return result


@dataclass(frozen=True)
class DemoPost:
    """A public post to a demo account and, optionally, the reply the demo walks to `state`."""

    account: int  # index into DEMO_ACCOUNTS
    author: str
    text: str
    hours_ago: float
    reply: str | None = None
    state: str | None = None  # draft, pending, approved, posted, returned, rejected
    drafter: str = "sam.staff"
    comment: str | None = None  # for returned or rejected
    revised: str | None = None  # a returned reply's revision, left as a draft


DEMO_POSTS = (
    DemoPost(0, "@kiri_h", "Streetlight on Wharf Rd by the bus stop has been out for a week, it's pitch black walking home",
             30, "Thanks for letting us know. We've logged the faulty streetlight on Wharf Road and a crew will repair it this week.",
             "posted"),
    DemoPost(0, "@harbourherald_news", "Hi, I'm a reporter at the Harbour Herald. Can the council comment on the proposed rates rise for 2027?",
             5, "Thanks for getting in touch. Our communications team will come back to you today.", "pending", "jo.staff"),
    DemoPost(0, "@dave_m", "Third week running the bins on Tui St haven't been collected. Useless.", 28),
    DemoPost(0, "@sunny_days", "What time does the Harbour pool open on Saturdays?", 0.7),
    DemoPost(1, "aroha.walker", "My partner hits me and I'm scared to go home. Who can I talk to?", 2,
             "We're so sorry. If you're in danger right now, call 111. Please send us a direct message so our community "
             "safety team can help, or call Need to talk? on 1737 any time.", "pending"),
    DemoPost(1, "tom.baker.nz", "I'm taking the council to court over the flooding damage to my property on Quay St.", 20,
             "We're sorry about the damage. We can't comment on possible legal action, but please send us a direct message "
             "with your details.", "pending", "jo.staff"),
    DemoPost(1, "grace.lee", "Is the library open over the long weekend?", 26,
             "Yes! The central library is open 10am to 4pm over the long weekend.", "approved"),
    DemoPost(1, "mike.reid", "Will the new cycle lane on Marine Parade be finished before summer?", 8,
             "We promise the Marine Parade cycle lane will be finished by December.", "returned", "sam.staff",
             "We can't promise a date. Say we aim to finish it before summer and point to the project page.",
             "We aim to finish the Marine Parade cycle lane before summer; updates are on our website."),
    DemoPost(2, "@nz_foodie", "Loved the night market at the waterfront! Will it be back next month?", 1,
             "Glad you enjoyed it! The night market is back at the waterfront on the first Friday of every month.", "draft",
             "jo.staff"),
    DemoPost(2, "@jess.k", "Someone's dumped a mattress in Harbour Park again", 6),
    DemoPost(2, "@ollie_t", "The playground at Seaview Reserve has a broken swing, kids could get hurt", 3),
)

# A standalone post (no inbound) that the political group rejects.
DEMO_STANDALONE = ("Come along and vote for the new harbour plan at Thursday's council meeting!", "jo.staff",
                   "Council accounts can't campaign. Post the consultation notice with the meeting details instead.")


def load_demo_posts(session: Session, accounts: list[OrgAccount], users: dict[str, User], checker: Any) -> int:
    """Add the demo's inbound posts and replies through the real services; returns how many posts.

    Replies are walked to their intended state where the policy agrees (a
    reply the policy passes is approved at once instead of waiting). The posts
    arrived hours ago; the replies are written, reviewed and audited now, so
    every page and the audit trail tell one time line.
    """
    from reviewer.drafting.inbound import create_inbound
    from reviewer.drafting.services import create_draft, revise_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    now = utcnow()
    for number, spec in enumerate(DEMO_POSTS, start=1):
        received = now - timedelta(hours=spec.hours_ago)
        post = create_inbound(
            session, None, accounts[spec.account], author_handle=spec.author, text=spec.text, received_at=received,
            external_id=f"demo-{number}",
        )
        if spec.reply is None:
            continue
        author = users[spec.drafter]
        draft = create_draft(session, author, checker, accounts[spec.account], spec.reply, inbound=post)
        if spec.state == "draft":
            continue
        submit_draft(session, author, checker, draft)
        if draft.state == "pending" and spec.state in ("approved", "posted", "returned", "rejected"):
            approver = _demo_approver(users, draft.routes, author)
            if spec.state == "returned":
                review.return_for_changes(session, approver, draft, spec.comment or "Please change this.",
                                          expected_version=draft.lock_version)
            elif spec.state == "rejected":
                review.reject(session, approver, draft, spec.comment or "Not for us to answer.",
                              expected_version=draft.lock_version)
            else:
                review.approve(session, approver, draft, expected_version=draft.lock_version)
        if spec.state == "returned" and spec.revised and draft.state == "returned":
            revise_draft(session, author, checker, draft, spec.revised)
        if spec.state == "posted" and draft.state == "approved":
            review.mark_posted(session, author, draft, f"https://x.com/HarbourCityNZ/status/{1860000000000000000 + post.id}")

    text, drafter, comment = DEMO_STANDALONE
    author = users[drafter]
    draft = create_draft(session, author, checker, accounts[0], text)
    submit_draft(session, author, checker, draft)
    if draft.state == "pending":
        review.reject(session, _demo_approver(users, draft.routes, author), draft, comment, expected_version=draft.lock_version)
    session.flush()
    return len(DEMO_POSTS)


def _demo_approver(users: dict[str, User], groups: list[str], author: User) -> User:
    for user in users.values():
        if user.id != author.id and user.has_role("approver") and set(user.group_names) & set(groups):
            return user
    raise DemoError(f"No demo approver is in any of the groups {', '.join(groups)}.")


def demo_password_from_env() -> str | None:
    return os.environ.get("REVIEWER_DEMO_PASSWORD") or None
