"""The audit trail: append-only, hash-chained, HMAC-signed events.

Services call `record(session, actor, action, subject, data)` in the same
transaction as the change they make. `verify` checks the whole chain and
names the first bad event; `head` gives the (seq, hash) an auditor can note
down as an anchor.
"""

from reviewer.audit.chain import AuditDataError, AuditError, VerifyResult
from reviewer.audit.keys import AuditKeyError, load_key, load_or_create_key
from reviewer.audit.models import AuditEvent, AuditHead
from reviewer.audit.services import head, record, verify
from reviewer.audit.sqlite import sqlite_begin_immediate

__all__ = [
    "AuditDataError",
    "AuditError",
    "AuditEvent",
    "AuditHead",
    "AuditKeyError",
    "VerifyResult",
    "head",
    "load_key",
    "load_or_create_key",
    "record",
    "sqlite_begin_immediate",
    "verify",
]
