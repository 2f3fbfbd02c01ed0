"""Where the files that ship with reviewer live: templates, static files, policies, the instance folder.

In a checkout (and an editable install) they are the top-level folders beside
the package: `templates/`, `policies/`, `instance/`. A wheel carries copies of
`templates/` and `policies/` inside the package, in `reviewer/shipped/` (see
setup.py), and keeps its instance folder under the environment's prefix, as
Flask does for an installed package. Every other module asks here; none works
a path out on its own. Importing this module costs nothing (no Flask).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_ROOT.parent
SHIPPED = PACKAGE_ROOT / "shipped"


def _shipped_folder(name: str) -> Path:
    inside = SHIPPED / name
    return inside if inside.is_dir() else CHECKOUT_ROOT / name


def _in_checkout() -> bool:
    return not SHIPPED.is_dir() and (CHECKOUT_ROOT / "pyproject.toml").is_file()


TEMPLATES = _shipped_folder("templates")
POLICIES = _shipped_folder("policies")
STATIC = PACKAGE_ROOT / "web" / "static"
REPORT_STYLESHEET = TEMPLATES / "reports" / "compliance.css"
DEFAULT_POLICY_NAME = "government.yaml"


def policy_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The policy folder: REVIEWER_POLICY_DIR, else the policies that ship with reviewer."""
    configured = env.get("REVIEWER_POLICY_DIR")
    return Path(configured).expanduser().resolve() if configured else POLICIES


def default_policy_file(env: Mapping[str, str] = os.environ) -> Path:
    """The policy `reviewer check` uses when none is named: government.yaml in the policy folder."""
    return policy_dir(env) / DEFAULT_POLICY_NAME


def instance_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The instance folder: REVIEWER_INSTANCE_PATH, else instance/ in a checkout, else <prefix>/var/reviewer-instance."""
    configured = env.get("REVIEWER_INSTANCE_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    if _in_checkout():
        return CHECKOUT_ROOT / "instance"
    return Path(sys.prefix) / "var" / "reviewer-instance"
