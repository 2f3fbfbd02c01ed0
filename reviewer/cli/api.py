"""`reviewer api-token create USERNAME [--name N]`: make an API token from the command line.

The token is printed once, alone on the last line, so a script can capture
it; only its sha256 is stored.
"""

from __future__ import annotations

import click


@click.group("api-token")
def api_token_group() -> None:
    """Make API tokens for /api/v1 (users can also make and revoke their own on the API tokens page)."""


@api_token_group.command("create")
@click.argument("username")
@click.option("--name", "name", default="command line", show_default=True, help="What will use the token.")
def create_command(username: str, name: str) -> None:
    """Create a token for USERNAME and print it once."""
    from reviewer import create_app
    from reviewer.accounts.services import get_user_by_username
    from reviewer.api.services import TokenError, create_token
    from reviewer.db import app_session

    app = create_app()
    with app_session(app) as session:
        user = get_user_by_username(session, username)
        if user is None:
            raise click.ClickException(f"USERNAME: there is no user {username!r}; see `reviewer create-user`.")
        try:
            new = create_token(session, None, user, name, app.config["API_TOKEN_LIFETIME_DAYS"])
        except TokenError as error:
            where = "--name: " if error.field == "name" else ""
            raise click.ClickException(where + error.message) from None
        prefix, login, roles = new.token.prefix, user.username, ", ".join(sorted(user.roles))
        expires_at = new.token.expires_at
        session.commit()
    click.echo(f"Created the API token {prefix}… ({name}) for {login} ({roles}).", err=True)
    click.echo(f"It expires on {expires_at:%Y-%m-%d %H:%M} UTC; then create a new one.", err=True)
    click.echo("It is shown only now; store it safely. Use it as: Authorization: Bearer <token>", err=True)
    click.echo(new.secret)


commands = [api_token_group]
