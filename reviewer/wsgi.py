"""The WSGI entry point for a server: `gunicorn 'reviewer.wsgi:app'`.

The app is built from the environment (`REVIEWER_*`), as `create_app()`
builds it, and then everything built so far is frozen out of the garbage
collector's sight (`freeze_start_up`). `reviewer serve` does the same.
"""

from __future__ import annotations

from reviewer import create_app, freeze_start_up

app = create_app()
freeze_start_up()
