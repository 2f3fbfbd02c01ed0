"""The `reviewer` command line.

The root group lives here; each domain's commands live in a module of this
package (`policy.py`, `toxicity.py`, ...) and are attached in `_register`.
The same commands are reachable as `flask --app reviewer ...` because
`create_app` adds them to `app.cli`.
"""

from __future__ import annotations

import importlib

import click

# Modules of this package that define commands, and the names they export.
# Each module exposes `commands`: a list of click commands or groups.
_COMMAND_MODULES = (
    "reviewer.cli.policy",
    "reviewer.cli.replay",
    "reviewer.cli.toxicity",
    "reviewer.cli.encoder",
    "reviewer.cli.app",
    "reviewer.cli.audit",
    "reviewer.cli.api",
    "reviewer.cli.report",
    "reviewer.cli.jobs",
    "reviewer.cli.serve",
    "reviewer.cli.backup",
    "reviewer.cli.retention",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reviewer")
def main() -> None:
    """Check social-media drafts against policy; run the reviewer app."""


def iter_commands():
    """Yield every command that the domain modules define."""
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a domain not built yet
            if exc.name != name:
                raise
            continue
        yield from module.commands


def _register() -> None:
    for command in iter_commands():
        main.add_command(command)


_register()
