"""The CLI imports only what a command needs: `--help` and `check` never load the web stack or scikit-learn.

Which modules a process imported is deterministic, unlike its run time
(bench/bench_cli.py measures that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from reviewer.cli import COMMANDS, command_modules, iter_commands, main

ROOT = Path(__file__).resolve().parents[3]
WEB_STACK = ("flask", "werkzeug", "sqlalchemy", "alembic", "flask_wtf", "flask_login", "wtforms")
MODEL_LIBRARIES = ("sklearn", "joblib", "scipy", "profanity_check", "torch")


def modules_after(args: list[str], watched: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run `reviewer ARGS` in a fresh interpreter; (exit status, which of `watched` it imported)."""
    code = (
        "import json, sys\n"
        "from reviewer.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        "    status = exit.code\n"
        f"print(json.dumps([status, sorted(m for m in {watched!r} if m in sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    status, imported = json.loads(done.stdout.strip().splitlines()[-1])
    return status, imported


def test_help_imports_click_and_nothing_of_the_app():
    status, imported = modules_after(["--help"], (*WEB_STACK, *MODEL_LIBRARIES, "reviewer.policy", "numpy", "pydantic"))
    assert status == 0
    assert imported == []


def test_check_imports_neither_the_web_stack_nor_scikit_learn():
    status, imported = modules_after(["check", "Thanks, we will look into it"],
                                     (*WEB_STACK, *MODEL_LIBRARIES, "reviewer.policy", "reviewer.toxicity.embedded"))
    assert status in (0, 1)  # a verdict (pass or review), not a usage error
    assert imported == ["reviewer.policy", "reviewer.toxicity.embedded"]  # the check really ran


def test_a_subcommands_help_loads_only_its_own_module():
    status, imported = modules_after(["toxicity", "--help"], (*WEB_STACK, "reviewer.cli.toxicity", "reviewer.cli.app"))
    assert status == 0
    assert imported == ["reviewer.cli.toxicity"]


def test_the_command_table_matches_the_commands_themselves():
    """COMMANDS names each top-level command's module and help; a new or renamed command must be listed there."""
    defined = {}
    for module in command_modules():
        for command in __import__(module, fromlist=["commands"]).commands:
            defined[command.name] = module
            assert module in COMMANDS[command.name][0], command.name
            assert COMMANDS[command.name][1] == command.get_short_help_str(300)
    assert set(defined) == set(COMMANDS)
    assert {c.name for c in iter_commands()} == set(COMMANDS)


def test_the_lazy_group_runs_every_command_and_lists_them_all():
    context = click.Context(main)
    assert main.list_commands(context) == sorted(COMMANDS)
    for name in COMMANDS:
        assert main.get_command(context, name).name == name
    assert main.get_command(context, "no-such-command") is None
    assert {"replay", "validate", "test"} <= set(main.get_command(context, "policy").commands)


def test_policy_replay_is_there_after_check_brought_the_policy_group_in():
    """`check` loads reviewer.cli.policy (which holds the `policy` group); `policy` must still load replay."""
    code = ("import click; from reviewer.cli import main; ctx = click.Context(main); main.get_command(ctx, 'check'); "
            "print(sorted(main.get_command(ctx, 'policy').commands))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "replay" in done.stdout
