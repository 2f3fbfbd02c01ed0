"""Data for backup tests: some of everything a backup must carry."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path


def fill(app) -> None:
    """Some of everything a backup must carry: users, an account, inbound posts, audit events."""
    from reviewer.accounts.services import create_user
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound
    from reviewer.orgs.services import create_account

    with app_session(app) as session:
        admin = create_user(session, None, "ana", "correct-horse-battery", ["admin"], [])
        create_user(session, admin, "sam", "correct-horse-battery", ["staff"], [])
        account = create_account(
            session, admin, name="Harbour City Council", platform="x", handle="@HarbourCityNZ",
            policy_file="city-council.yaml", policy_dir=Path(app.config["POLICY_DIR"]), groups=(), active=True,
        )
        for number, text in enumerate(("The light on Wharf Road is out.", "Kia ora, is the pool open? ☀️")):
            create_inbound(
                session, None, account, author_handle=f"@resident{number}", text=text,
                received_at=datetime(2026, 11, 20, 9, number, tzinfo=timezone.utc),
            )
        session.commit()
