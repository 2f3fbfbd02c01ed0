"""Every domain's models in one import, so Alembic and tests see one metadata."""

from reviewer.accounts.models import ApproverGroup, LoginAttempt, User, UserRole
from reviewer.api.models import ApiToken
from reviewer.audit import models as audit_models
from reviewer.orm import Base
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import OrgAccount
from reviewer.review.models import Approval, ReviewAction

__all__ = [
    "ApiToken",
    "Approval",
    "ApproverGroup",
    "Base",
    "Draft",
    "DraftVersion",
    "InboundPost",
    "LoginAttempt",
    "OrgAccount",
    "ReviewAction",
    "User",
    "UserRole",
    "audit_models",
]
