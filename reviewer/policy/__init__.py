"""The policy engine: load a YAML policy, check drafts, explain the verdict.

Pure Python (no web or database imports), so the CLI, the web app and the
reports all share exactly this code:

    policy = load_policy("policies/government.yaml")
    verdict = policy.check("Call me on 021 555 0199", platform="x")
    verdict.decision, verdict.to_dict()
"""

from __future__ import annotations

from .engine import Draft, Policy, Scorer
from .errors import PolicyError, PolicyIssue
from .loader import load_policy
from .verdict import Verdict

__all__ = ["Draft", "Policy", "PolicyError", "PolicyIssue", "Scorer", "Verdict", "load_policy"]
