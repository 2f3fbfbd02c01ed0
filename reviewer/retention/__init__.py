"""Retention: remove the texts of finished drafts after a configured number of days.

`services.purge` replaces draft version texts, the excerpts their verdicts
carry, review comments, and the inbound posts they answered with markers
that name the date and the text's sha256; ids, hashes, states, times, rules
and decisions stay, so reports still count everything and the audit chain
(which never held the texts) still verifies. Each run is one
`retention.purged` audit event, in the same transaction as the purge.
"""

from reviewer.retention.markers import FINISHED_STATES, is_marker, text_marker
from reviewer.retention.services import RetentionError, purge, retention_days

__all__ = ["FINISHED_STATES", "RetentionError", "is_marker", "purge", "retention_days", "text_marker"]
