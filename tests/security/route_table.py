"""The route/role table of tests/web/test_route_matrix.py (EXPECTED, expected_allows, declared), loaded by path.

That file is the one contract for who may use each route; the security
suite requests what it declares instead of keeping a second copy.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_MATRIX_FILE = Path(__file__).resolve().parents[1] / "web" / "test_route_matrix.py"
_spec = importlib.util.spec_from_file_location("security_route_matrix_declarations", _MATRIX_FILE)
declarations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(declarations)

EXPECTED = declarations.EXPECTED
expected_allows = declarations.expected_allows
declared = declarations.declared
