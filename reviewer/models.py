"""Every domain's models in one import, so Alembic and tests see one metadata."""

from reviewer.accounts.models import ApproverGroup, LoginAttempt, User, UserRole
from reviewer.audit import models as audit_models
from reviewer.db import Base
from reviewer.orgs.models import OrgAccount

__all__ = ["ApproverGroup", "Base", "LoginAttempt", "OrgAccount", "User", "UserRole", "audit_models"]
