"""Backups: the database, the audit key and the chain's head, in one folder with a manifest.

`reviewer backup create|verify|restore` (reviewer/cli/backup.py) drive
`operations`; `manifest` writes and checks manifest.json (sha256 of every
file); `sqlite_store` and `postgres_store` take and put back the database
itself (SQLite's online backup API; pg_dump/pg_restore). See
docs/backups-and-retention.md.
"""

from reviewer.backup.manifest import BackupError
from reviewer.backup.operations import create_backup, restore_backup, verify_backup

__all__ = ["BackupError", "create_backup", "restore_backup", "verify_backup"]
