"""Create and change organisation accounts; list the policy files they may use.

Policy files are only listed here, never loaded: checking drafts against
them is the policy engine's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from reviewer.accounts.principal import AnyUser
from reviewer.accounts.services import AccountError, groups_by_name
from reviewer.audit import record
from reviewer.orgs.models import (
    DEFAULT_RESPONSE_TARGET_MINUTES,
    MAX_RESPONSE_TARGET_MINUTES,
    MIN_RESPONSE_TARGET_MINUTES,
    RESPONSE_TARGET_RANGE,
    AccountFacts,
    AnyAccount,
    OrgAccount,
    org_account_groups,
)
from reviewer.vocabulary import PLATFORMS

HANDLE_RE = re.compile(r"^@?[A-Za-z0-9_.-]{1,99}$")


class OrgAccountError(AccountError):
    """A request the organisation-account rules refuse; `field` names the form field at fault."""


def list_policy_files(policy_dir: Path) -> list[str]:
    """The policy files an account may use: `*.yaml` directly inside the policy folder."""
    if not policy_dir.is_dir():
        return []
    return sorted(path.name for path in policy_dir.glob("*.yaml") if path.is_file())


def list_accounts(session: Session, active_only: bool = False) -> list[OrgAccount]:
    query = select(OrgAccount).order_by(OrgAccount.name, OrgAccount.platform)
    if active_only:
        query = query.where(OrgAccount.active)
    return list(session.scalars(query))


def _clean(
    session: Session,
    name: str,
    platform: str,
    handle: str,
    policy_file: str,
    policy_dir: Path,
    groups: Iterable[str],
    account_id: int | None,
):
    name = name.strip()
    if not name or len(name) > 120:
        raise OrgAccountError("Give the account a name of 1 to 120 characters.", "name")
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise OrgAccountError(f"Unknown platform {platform!r} (platforms: {', '.join(PLATFORMS)}).", "platform")
    handle = handle.strip()
    if not HANDLE_RE.match(handle):
        raise OrgAccountError(
            "A handle is the account's name on the platform: letters, digits, '_', '.' or '-', "
            "optionally after '@' (e.g. @HarbourCityNZ).",
            "handle",
        )
    available = list_policy_files(policy_dir)
    if policy_file not in available:
        listed = ", ".join(available) or f"none: add a .yaml file to {policy_dir}"
        raise OrgAccountError(f"No policy file {policy_file!r} in {policy_dir} (available: {listed}).", "policy_file")
    clash = session.scalar(
        select(OrgAccount).where(OrgAccount.platform == platform, OrgAccount.handle == handle, OrgAccount.id != account_id)
    )
    if clash is not None:
        raise OrgAccountError(f"{handle} on {platform} is already the account {clash.name!r}.", "handle")
    try:
        group_rows = groups_by_name(session, groups)
    except AccountError as error:
        raise OrgAccountError(error.message, "groups") from None
    return name, platform, handle, group_rows


def check_response_target(minutes: object) -> int:
    """`minutes` if it is a whole number of minutes within the allowed range, else OrgAccountError naming the field."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise OrgAccountError(f"The response-time target must be whole minutes {RESPONSE_TARGET_RANGE}, got {minutes!r}.",
                              "response_target_minutes")
    if not MIN_RESPONSE_TARGET_MINUTES <= minutes <= MAX_RESPONSE_TARGET_MINUTES:
        raise OrgAccountError(f"A response-time target of {minutes} minutes is out of range: give {RESPONSE_TARGET_RANGE}.",
                              "response_target_minutes")
    return minutes


def _snapshot(account: OrgAccount) -> dict:
    return {
        "name": account.name,
        "platform": account.platform,
        "handle": account.handle,
        "policy_file": account.policy_file,
        "active": account.active,
        "groups": [g.name for g in account.drafting_groups],
        "response_target_minutes": account.response_target_minutes,
    }


def create_account(
    session: Session,
    actor: AnyUser | None,
    *,
    name: str,
    platform: str,
    handle: str,
    policy_file: str,
    policy_dir: Path,
    groups: Iterable[str] = (),
    active: bool = True,
    response_target_minutes: int = DEFAULT_RESPONSE_TARGET_MINUTES,
) -> OrgAccount:
    """Add an organisation account; `groups` are the teams that may draft for it (none: any staff)."""
    name, platform, handle, group_rows = _clean(session, name, platform, handle, policy_file, policy_dir, groups, None)
    target = check_response_target(response_target_minutes)
    account = OrgAccount(
        name=name, platform=platform, handle=handle, policy_file=policy_file, active=active, drafting_groups=group_rows,
        response_target_minutes=target,
    )
    session.add(account)
    session.flush()
    record(session, actor, "account.created", f"account:{account.id}", _snapshot(account))
    return account


def update_account(
    session: Session,
    actor: AnyUser | None,
    account: OrgAccount,
    *,
    name: str,
    platform: str,
    handle: str,
    policy_file: str,
    policy_dir: Path,
    groups: Iterable[str],
    active: bool,
    response_target_minutes: int | None = None,
) -> bool:
    """Change an account; records what changed (old and new) in one event. Returns False when nothing changed.

    `response_target_minutes` None keeps the account's target.
    """
    name, platform, handle, group_rows = _clean(
        session, name, platform, handle, policy_file, policy_dir, groups, account.id
    )
    target = account.response_target_minutes if response_target_minutes is None else check_response_target(response_target_minutes)
    before = _snapshot(account)
    account.name, account.platform, account.handle = name, platform, handle
    account.policy_file, account.active, account.drafting_groups = policy_file, active, group_rows
    account.response_target_minutes = target
    after = _snapshot(account)
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if not changed:
        return False
    session.flush()
    record(session, actor, "account.changed", f"account:{account.id}", changed)
    return True


# Built once: the API runs it on most requests. One row per drafting team (one with NULL for none).
_ACCOUNT_FACTS = (
    select(
        OrgAccount.id, OrgAccount.name, OrgAccount.platform, OrgAccount.handle, OrgAccount.policy_file,
        OrgAccount.active, org_account_groups.c.group_id,
    )
    .outerjoin(org_account_groups, org_account_groups.c.account_id == OrgAccount.id)
    .where(OrgAccount.id == bindparam("account_id"))
)


def account_facts(session: Session, account_id: int) -> AccountFacts | None:
    """The account with this id as plain facts (with its drafting teams' ids), or None; one query."""
    rows = session.connection().execute(_ACCOUNT_FACTS, {"account_id": account_id}).all()
    if not rows:
        return None
    teams = frozenset(row[6] for row in rows if row[6] is not None)
    return AccountFacts(*rows[0][:6], drafting_group_ids=teams)


def drafting_allowed(account: AnyAccount, user: AnyUser) -> bool:
    """Whether `user` may draft replies for `account`: staff, and in one of its teams when it lists any."""
    if not account.active or not user.has_role("staff"):
        return False
    teams = account.drafting_group_ids
    return not teams or not user.group_ids.isdisjoint(teams)
