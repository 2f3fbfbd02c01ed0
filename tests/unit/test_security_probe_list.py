"""scripts/security_probe.py replays every finding of issue 15: its probe list cannot lose one silently.

The script itself starts a real `reviewer serve` and takes minutes (`make security-probe`);
this only checks that it imports and that its list still covers findings 1 to 14.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "security_probe.py"


def _load():
    spec = importlib.util.spec_from_file_location("security_probe", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    sys.path.insert(0, str(SCRIPT.parent))  # its probe_kit and probes_* modules, as when run as a script
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
        sys.path.remove(str(SCRIPT.parent))
    return module


def test_every_finding_has_one_probe_and_runs_once() -> None:
    probe = _load()
    numbers = [entry.number for entry in probe.PROBES]
    assert numbers == list(range(1, 15))
    assert sorted(probe.RUN_ORDER) == numbers
    assert len({entry.title for entry in probe.PROBES}) == len(numbers)
    assert all(callable(entry.run) and entry.run.__name__.startswith("probe_") for entry in probe.PROBES)


def test_the_script_has_a_usage_line() -> None:
    with pytest.raises(SystemExit) as exit_info:
        _load().main(["--help"])
    assert exit_info.value.code == 0
