"""A client generated from /api/v1/openapi.json with openapi-python-client runs a whole journey against a served app.

The generator reads the document from the running server (as an integrator
would), must give no warning, and its ruff post-hooks run with the repo's
ruff. The journey then goes through the generated functions and types only:
accounts, a check by policy and by account, inbound posts, a draft routed
for review, a blocked one, the approver's queue, a reject without and with a
comment, an approval, a 413 and a 429, each parsed into the generated models.
"""

from __future__ import annotations

import enum
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from serving_kit import serving

from reviewer.vocabulary import DECISIONS, PLATFORMS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PACKAGE = "reviewer_api_client"
LEGAL = "We are aware of the lawsuit and cannot comment."  # the test policy routes it to legal
ENOUGH = "500 per minute"  # the journey's rate limit: never reached, but its headers are sent


def generate(url: str, folder: Path) -> ModuleType:
    """Run openapi-python-client on the served document into `folder`; import and return the package."""
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}  # its post-hooks call ruff
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--url", f"{url}/api/v1/openapi.json",
         "--output-path", str(folder / PACKAGE), "--meta", "none"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "ruff is not in PATH" not in output, output
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


@pytest.fixture
def generated(tmp_path: Path, make_app) -> Iterator[SimpleNamespace]:
    """The app served with rate limits on, and the client package generated from its document."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_API=ENOUGH)
    with serving(app, "generated-client-server") as url:
        package = generate(url, tmp_path)
        try:
            yield SimpleNamespace(
                url=url,
                package=package,
                api=importlib.import_module(f"{PACKAGE}.api"),
                models=importlib.import_module(f"{PACKAGE}.models"),
                client=lambda token, base=url: package.AuthenticatedClient(base_url=f"{base}/api/v1", token=token),
            )
        finally:
            sys.path.remove(str(tmp_path))
            for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
                del sys.modules[name]


def _enum_classes(models: ModuleType, values: tuple[str, ...]) -> list[type]:
    """The generated enum classes whose members are exactly `values`."""
    return [
        cls for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, enum.Enum) and {m.value for m in cls} == set(values)
    ]


def test_a_generated_client_runs_a_whole_journey(generated, people, make_token, make_app) -> None:
    api, m = generated.api, generated.models
    from importlib import import_module

    ops = {name: import_module(f"{api.__name__}.{tag}.{name}") for tag, name in (
        ("accounts", "list_accounts"), ("checking", "check"), ("inbound", "create_inbound"),
        ("drafts", "create_draft"), ("drafts", "get_draft"), ("review", "queue"), ("review", "decide"))}
    staff = generated.client(make_token(people["staff"]))
    legal = generated.client(make_token(people["legal"]))
    account_id = people["account"].id

    # One enum class per word list, used by every model that carries it.
    assert [cls.__name__ for cls in _enum_classes(m, DECISIONS)] == ["Decision"]
    assert [cls.__name__ for cls in _enum_classes(m, PLATFORMS)] == ["Platform"]

    answer = ops["list_accounts"].sync_detailed(client=staff)
    assert answer.status_code == 200 and int(answer.headers["X-RateLimit-Limit"]) == 500
    accounts = answer.parsed.accounts
    assert [a.id for a in accounts] == [account_id] and isinstance(accounts[0].platform, m.Platform)

    verdict = ops["check"].sync(client=staff, body=m.CheckRequest(text="Thanks, fixed.", policy="government.yaml",
                                                                  platform=m.Platform.X))
    assert isinstance(verdict, m.Verdict) and verdict.decision is m.Decision.PASS
    blocked = ops["check"].sync(client=staff, body=m.CheckRequest(text="You idiot", account_id=account_id))
    assert blocked.decision is m.Decision.BLOCK and blocked.findings[0].severity is m.Severity.HIGH
    refused = ops["check"].sync_detailed(client=staff, body=m.CheckRequest(text="Neither source"))
    assert refused.status_code == 422 and isinstance(refused.parsed, m.Error)
    assert refused.parsed.error.code is m.ErrorCode.INVALID and refused.parsed.error.field == "account_id"
    assert refused.parsed.error.stored is m.Stored.NO

    too_large = ops["check"].sync_detailed(client=staff, body=m.CheckRequest(text="a" * (3 * 1024 * 1024),
                                                                             account_id=account_id))
    assert too_large.status_code == 413 and isinstance(too_large.parsed, m.Error)
    assert too_large.parsed.error.code is m.ErrorCode.PAYLOAD_TOO_LARGE

    post = ops["create_inbound"].sync(client=staff, body=m.InboundRequest(
        account_id=account_id, author_handle="@kiri", text="Is the lawsuit over?"))
    assert isinstance(post, m.Inbound) and post.platform is m.Platform.X
    many = ops["create_inbound"].sync(client=staff, body=[m.InboundRequest(
        account_id=account_id, author_handle=f"@p{n}", text="Hello") for n in range(2)])
    assert isinstance(many, m.InboundList) and len(many.inbound) == 2

    draft = ops["create_draft"].sync(client=staff, body=m.DraftRequest(account_id=account_id, text=LEGAL,
                                                                       inbound_id=post.id))
    assert isinstance(draft, m.Draft) and draft.state is m.DraftState.PENDING
    assert draft.decision is m.Decision.REVIEW and draft.current.verdict.decision is m.Decision.REVIEW
    no = ops["create_draft"].sync_detailed(client=staff, body=m.DraftRequest(account_id=account_id, text="You idiot"))
    assert no.status_code == 422 and no.parsed.error.code is m.ErrorCode.BLOCKED
    assert no.parsed.error.verdict.decision is m.Decision.BLOCK
    assert ops["get_draft"].sync(client=staff, draft_id=draft.id).id == draft.id
    assert ops["get_draft"].sync_detailed(client=legal, draft_id=10**9).parsed.error.code is m.ErrorCode.DRAFT_NOT_FOUND

    page = ops["queue"].sync(client=legal, decision=m.Decision.REVIEW)
    assert isinstance(page, m.QueuePage) and [i.draft.id for i in page.items] == [draft.id]
    assert page.items[0].inbound.id == post.id and page.next_offset is None

    decide = ops["decide"]
    not_staff = decide.sync_detailed(client=staff, draft_id=draft.id, body=m.DecisionRequest(
        action=m.DecisionAction.REJECT, comment="No."))
    assert not_staff.status_code == 403 and not_staff.parsed.error.code is m.ErrorCode.FORBIDDEN
    no_comment = decide.sync_detailed(client=legal, draft_id=draft.id, body=m.DecisionRequest(
        action=m.DecisionAction.REJECT))
    assert no_comment.status_code == 422 and no_comment.parsed.error.field == "comment"
    rejected = decide.sync(client=legal, draft_id=draft.id, body=m.DecisionRequest(
        action=m.DecisionAction.REJECT, comment="Legal will answer this one."))
    assert rejected.state is m.DraftState.REJECTED

    second = ops["create_draft"].sync(client=staff, body=m.DraftRequest(account_id=account_id, text=LEGAL + " Soon."))
    approved = decide.sync(client=legal, draft_id=second.id, body=m.DecisionRequest(
        action=m.DecisionAction.APPROVE, expected_version=second.version))
    assert approved.state is m.DraftState.APPROVED and [a.approver for a in approved.approvals] == ["kim.legal"]
    stale = decide.sync_detailed(client=legal, draft_id=second.id, body=m.DecisionRequest(
        action=m.DecisionAction.APPROVE, expected_version=second.version))
    assert stale.status_code in (403, 409) and isinstance(stale.parsed.error.code, m.ErrorCode)

    # A 429 parses too: the same document, an app with a limit of one request a minute.
    with serving(make_app(RATELIMIT_ENABLED=True, RATELIMIT_API="1 per minute"), "limited-server") as url:
        auditor = generated.client(make_token(people["auditor"]), url)
        assert ops["list_accounts"].sync_detailed(client=auditor).status_code == 200
        limited = ops["list_accounts"].sync_detailed(client=auditor)
    assert limited.status_code == 429 and limited.parsed.error.code is m.ErrorCode.RATE_LIMITED
    assert limited.parsed.error.retry_after >= 1 and int(limited.headers["Retry-After"]) >= 1
