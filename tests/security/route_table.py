"""The route/role table of tests/web/test_route_matrix.py (EXPECTED, expected_allows, declared), loaded by path.

That file is the one contract for who may use each route; the security
suite requests what it declares instead of keeping a second copy.
`requests_of` lists every route's requests with real ids (`argument_values`
of the `routed_world` fixture).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_MATRIX_FILE = Path(__file__).resolve().parents[1] / "web" / "test_route_matrix.py"
_spec = importlib.util.spec_from_file_location("security_route_matrix_declarations", _MATRIX_FILE)
declarations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(declarations)

EXPECTED = declarations.EXPECTED
expected_allows = declarations.expected_allows
declared = declarations.declared

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def argument_values(world: Any, spare_token_id: int) -> dict[str, Any]:
    """Real ids for the URL arguments: objects of organisation A, which the signed-in staff and comms approver may use."""
    return {
        "account_id": world.account_a.id,
        "post_id": world.post_a.id,
        "draft_id": world.pending_a.id,
        "user_id": world.target.id,
        "group_id": world.group_id,
        "token_id": spare_token_id,
        "job_id": "0" * 32,  # no such job: the allowed answer is a 404 from the view, after the access check
        "filename": "reviewer.css",
    }


def requests_of(app: Any, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route and each of its methods; logout last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        missing = set(rule.arguments) - values.keys()
        assert not missing, f"{rule.rule}: no test value for {sorted(missing)}; add one to argument_values"
        args = {name: values[name] for name in rule.arguments}
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((rule.endpoint, method, adapter.build(rule.endpoint, args, method=method)))
    return sorted(found, key=lambda item: (item[0] == "accounts.logout", item[0], item[1]))
