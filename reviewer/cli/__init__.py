"""The `reviewer` command line.

The root group lives here; each domain's commands live in a module of this
package (`policy.py`, `toxicity.py`, ...), each exposing `commands`: a list
of click commands or groups. The root group loads a module only when one of
its commands runs (`COMMANDS` says which module holds which command, with
the one-line help `reviewer --help` prints), so `reviewer --help` imports
click alone and `reviewer check` only the policy engine: neither pays for
Flask, SQLAlchemy or Alembic. The same commands are reachable as
`flask --app reviewer ...` because `create_app` adds them all to `app.cli`.
"""

from __future__ import annotations

import importlib

import click

#: Top-level command -> (the modules that define it, its one-line help). A test checks this
#: table against the commands themselves. `policy` spans two modules: replay.py adds `policy replay`.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "check": (("reviewer.cli.policy",),
              "Check a draft reply (TEXT, or stdin) against the policy and explain the verdict."),
    "policy": (("reviewer.cli.policy", "reviewer.cli.replay"), "Validate policy files and run their examples."),
    "toxicity": (("reviewer.cli.toxicity",), "Inspect the toxicity scorer and score texts with it."),
    "encoder": (("reviewer.cli.encoder",), "Inspect or build the sentence encoder (REVIEWER_ENCODER)."),
    "db": (("reviewer.cli.app",), "Create or upgrade the database schema."),
    "create-user": (("reviewer.cli.app",), "Create a user, non-interactively."),
    "reset-password": (("reviewer.cli.app",),
                       "Give a user a new password and end their sessions (e.g. a locked-out administrator)."),
    "demo": (("reviewer.cli.app",),
             "Load the demo agency (Harbour City Council) into an empty database; prints the passwords."),
    "audit": (("reviewer.cli.audit",), "Check the tamper-evident audit trail."),
    "api-token": (("reviewer.cli.api",),
                  "Make API tokens for /api/v1 (users can also make and revoke their own on the API tokens page)."),
    "report": (("reviewer.cli.report",),
               "Write the PDF compliance report for a period (audited as report.generated); default: the last 30 days."),
    "jobs": (("reviewer.cli.report",), "Background jobs (big PDF reports)."),
    "serve": (("reviewer.cli.serve",), "Serve the app with gunicorn (production)."),
    "config": (("reviewer.cli.serve",), "Inspect the configuration."),
    "backup": (("reviewer.cli.backup",), "Back up and restore the database and the audit key."),
    "retention": (("reviewer.cli.retention",), "Apply the retention policy to stored texts."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they run, not when the group is built."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # Every module a command spans is imported, even when an earlier command already brought the command
        # in: `check` loads reviewer.cli.policy, which holds the `policy` group, but `policy replay` joins that
        # group only when reviewer.cli.replay is imported.
        for module in COMMANDS.get(cmd_name, ((), ""))[0]:
            for command in _module_commands(module):
                self.commands.setdefault(command.name, command)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from COMMANDS, without importing a module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is not None and command.hidden:
                continue
            text = (command or click.Command(name, help=COMMANDS[name][1])).get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reviewer")
def main() -> None:
    """Check social-media drafts against policy; run the reviewer app."""


def command_modules() -> list[str]:
    """Every module of this package that defines commands, each once, in COMMANDS order."""
    return list(dict.fromkeys(module for modules, _ in COMMANDS.values() for module in modules))


def _module_commands(name: str) -> list[click.Command]:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:  # a domain not built yet
        if exc.name != name:
            raise
        return []
    return list(module.commands)


def iter_commands():
    """Yield every command that the domain modules define (for `flask --app reviewer`)."""
    for name in command_modules():
        yield from _module_commands(name)
