"""Demo data: Harbour City Council, its people and social accounts.

`load_demo` is idempotent: it does nothing when the demo agency is already
there. The inbound posts that staff answer belong to the inbox (a later
issue): it fills in `load_demo_posts`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.accounts.passwords import generate_password
from reviewer.accounts.services import create_user
from reviewer.audit import record
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


def load_demo(session: Session, policy_dir: Path, password: str | None = None) -> DemoResult:
    """Create the demo agency on an empty database; flush, the caller commits.

    `password`: one password for every demo user (REVIEWER_DEMO_PASSWORD);
    otherwise each gets a generated one.
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
    accounts: list[OrgAccount] = []
    for name, platform, handle in DEMO_ACCOUNTS:
        account = create_account(
            session, None, name=name, platform=platform, handle=handle, policy_file=policy_file, policy_dir=policy_dir
        )
        accounts.append(account)
        result.accounts.append(account.label)
    result.posts = load_demo_posts(session, accounts, users)
    record(session, None, "demo.loaded", None, {"agency": AGENCY, "policy_file": policy_file})
    return result


def load_demo_posts(session: Session, accounts: list[OrgAccount], users: dict[str, User]) -> int:
    """Add the inbound posts staff answer in the demo; returns how many.

    The seam for the inbox issue, which owns inbound posts: until it lands
    there is no inbox to fill, so nothing is added.
    """
    return 0


def demo_password_from_env() -> str | None:
    return os.environ.get("REVIEWER_DEMO_PASSWORD") or None
