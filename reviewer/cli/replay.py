"""`reviewer policy replay`: what a candidate policy would decide on the stored drafts (reads only).

Exit status: 0 done, 3 a usage, policy, scorer or database problem (as the other policy commands).
"""

from __future__ import annotations

import datetime as dt
import json

import click

from reviewer.cli.policy import Failure, _parse_date, _scorer_option, load_policy_or_fail, load_scorer_or_fail, policy


@policy.command("replay")
@click.option("--policy", "policy_path", metavar="FILE", required=True, help="The candidate policy to replay.")
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only drafts created on or after this date (UTC).")
@click.option("--account", "account_id", type=click.IntRange(min=1), help="Only this organisation account's drafts (its id).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_scorer_option
def replay(policy_path: str, since_text: str | None, account_id: int | None, output_format: str, scorer: str) -> None:
    """Run a policy over the stored drafts; show how their decisions would change (reads only)."""
    from sqlalchemy.exc import DBAPIError

    from reviewer import create_app
    from reviewer.db import app_session
    from reviewer.drafting.replay import replay as run_replay

    try:
        since = _parse_date(since_text, "--since")
    except ValueError as exc:
        raise Failure(f"error: {exc}") from None
    loaded = load_policy_or_fail(policy_path)
    scorer_obj = load_scorer_or_fail(scorer)
    app = create_app({"TOXICITY": "none", "ENCODER": "none"})  # the database only: the policy brings its own models
    when = None if since is None else dt.datetime.combine(since, dt.time(), tzinfo=dt.timezone.utc)
    with app_session(app) as session:
        try:
            result = run_replay(session, loaded, scorer_obj, since=when, account_id=account_id)
        except DBAPIError as exc:
            raise Failure(f"error: the database cannot be used ({str(exc.orig).strip() or type(exc).__name__}): check "
                          "REVIEWER_DATABASE_URL and that the schema is up to date (`reviewer db upgrade`)") from None
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.describe())


commands: list = []  # `replay` joins the `policy` group, which reviewer.cli.policy exports
