"""App commands: `reviewer db upgrade|current`, `reviewer create-user`, `reviewer demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reviewer.accounts.models import ROLES

_GROUP_HELP = "Approver group (comms, legal, safeguarding, press, political, or one the admin added); repeatable."


def _app(schema_check: bool = True, checks_text: bool = False):
    """The app for a command.

    Commands that never check text skip the toxicity model (seconds to load);
    `checks_text=True` keeps the configured TOXICITY, so the app's checker
    (`app.extensions["reviewer.checker"]`) is the one the web app would use.
    """
    from reviewer import create_app

    config: dict[str, object] = {} if checks_text else {"TOXICITY": "none"}
    if not schema_check:
        config["SCHEMA_CHECK"] = False
    return create_app(config)


@click.group("db")
def db_group() -> None:
    """Create or upgrade the database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (creates the database if needed)."""
    from reviewer import db

    app = _app(schema_check=False)
    before, heads = db.schema_revisions(app)
    db.upgrade(app)
    after, _ = db.schema_revisions(app)
    where = db.display_url(app)
    if before == after:
        click.echo(f"Database {where} is up to date (revision {', '.join(sorted(after))}).")
    else:
        old = ", ".join(sorted(before)) or "empty"
        click.echo(f"Upgraded database {where} from {old} to {', '.join(sorted(after))}.")


@db_group.command("current")
def db_current() -> None:
    """Show the database's schema revision and whether it is up to date."""
    from reviewer import db

    app = _app(schema_check=False)
    current, heads = db.schema_revisions(app)
    shown = ", ".join(sorted(current)) or "none (empty database)"
    state = "up to date" if current == heads else f"out of date: run `reviewer db upgrade` (latest: {', '.join(sorted(heads))})"
    click.echo(f"{shown}: {state}")
    if current != heads:
        sys.exit(1)


_OPTION_OF_FIELD = {"username": "USERNAME", "roles": "--role", "groups": "--group", "email": "--email", "password": "password"}


@click.command("create-user")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Role; repeatable.")
@click.option("--group", "groups", multiple=True, help=_GROUP_HELP)
@click.option("--email", default=None, help="Email address.")
@click.option("--name", "display_name", default=None, help="Full name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user_command(
    username: str, roles: tuple[str, ...], groups: tuple[str, ...], email: str | None, display_name: str | None,
    password_stdin: bool,
) -> None:
    """Create a user, non-interactively. Without --password-stdin a password is generated and printed."""
    from reviewer.accounts.passwords import generate_password
    from reviewer.accounts.services import AccountError, create_user
    from reviewer.db import app_session

    password = _read_password() if password_stdin else generate_password()
    app = _app()
    with app_session(app) as session:
        try:
            user = create_user(
                session, None, username, password, roles, groups, display_name=display_name, email=email
            )
        except AccountError as error:
            where = _OPTION_OF_FIELD.get(error.field or "")
            raise click.ClickException(f"{where}: {error.message}" if where else error.message) from None
        session.commit()
        click.echo(f"Created {user.username} ({', '.join(sorted(user.roles))}).")
        if not password_stdin:
            click.echo(f"Password: {password}")


@click.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input.")
def reset_password_command(username: str, password_stdin: bool) -> None:
    """Give a user a new password and end their sessions (e.g. a locked-out administrator).

    Without --password-stdin a one-time password is generated and printed;
    the user must choose their own when they next sign in.
    """
    from reviewer.accounts.passwords import generate_password
    from reviewer.accounts.services import AccountError, get_user_by_username, set_password
    from reviewer.db import app_session

    password = _read_password() if password_stdin else generate_password()
    app = _app()
    with app_session(app) as session:
        user = get_user_by_username(session, username)
        if user is None:
            raise click.ClickException(f"USERNAME: there is no user {username!r}.")
        try:
            revoked = set_password(session, None, user, password, one_time=not password_stdin)
        except AccountError as error:
            raise click.ClickException(f"password: {error.message}") from None
        session.commit()
        tokens = f"{revoked} API token{'' if revoked == 1 else 's'} revoked"
        click.echo(f"New password set for {user.username}; their sessions have ended ({tokens}).")
        if not password_stdin:
            click.echo(f"One-time password: {password}")
        if not user.active:
            click.echo(f"Note: {user.username} is deactivated; an administrator must reactivate them first.")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("--password-stdin: standard input was empty; pipe the password in.")
    return password


@click.command("demo")
def demo_command() -> None:
    """Load the demo agency (Harbour City Council) into an empty database; prints the passwords."""
    from reviewer.accounts.services import AccountError
    from reviewer.db import app_session
    from reviewer.demo import AGENCY, DemoError, demo_password_from_env, load_demo

    app = _app(checks_text=True)  # the demo's drafts are checked like any other: with the configured scorer
    with app_session(app) as session:
        try:
            result = load_demo(
                session, Path(app.config["POLICY_DIR"]), demo_password_from_env(), checker=app.extensions["reviewer.checker"]
            )
        except DemoError as error:
            raise click.ClickException(str(error)) from None
        except AccountError as error:  # only the password can be at fault: the demo's users are fixed
            raise click.ClickException(f"REVIEWER_DEMO_PASSWORD: {error.message}") from None
        if not result.loaded:
            click.echo(
                f"The demo agency ({AGENCY}) is already loaded; nothing to do. Its passwords were printed "
                f"when it was loaded; to set a new one: {_reviewer_command()} reset-password USERNAME"
            )
            return
        session.commit()
    click.echo(f"Loaded the demo agency: {AGENCY}.")
    click.echo("Accounts:")
    for label in result.accounts:
        click.echo(f"  {label}")
    click.echo("Users (username / password / roles and approver groups):")
    width = max(len(name) for name in result.passwords)
    secret = max(len(password) for password in result.passwords.values())
    for username, password in result.passwords.items():
        click.echo(f"  {username.ljust(width)}  {password.ljust(secret)}  {result.roles.get(username, '')}")
    if result.posts:
        click.echo(f"Inbound posts: {result.posts}")


def _reviewer_command() -> str:
    """How to run `reviewer` from here: the bare name when it is on PATH, else this venv's full path."""
    import shutil

    beside = Path(sys.executable).with_name("reviewer")
    if shutil.which("reviewer") == str(beside) or not beside.exists():
        return "reviewer"
    try:
        return str(beside.relative_to(Path.cwd()))  # .venv/bin/reviewer in a checkout
    except ValueError:
        return str(beside)


commands = [db_group, create_user_command, reset_password_command, demo_command]
