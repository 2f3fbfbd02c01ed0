"""Password hashing (argon2id via argon2-cffi) and generated passwords.

The hasher travels in the sessionmaker's `info` so that services can hash
and verify without reaching for Flask configuration.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# Letters and digits that cannot be confused with each other when read aloud
# or copied by hand (no 0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_DEFAULT_HASHER = PasswordHasher()


def make_hasher(params: Mapping[str, int]) -> PasswordHasher:
    """A PasswordHasher from PASSWORD_HASH_PARAMS (argon2-cffi keyword arguments)."""
    return PasswordHasher(**dict(params))


def hasher_for(session: Session) -> PasswordHasher:
    """The hasher configured for this session's app (argon2-cffi defaults otherwise)."""
    return session.info.get("password_hasher") or _DEFAULT_HASHER


def generate_password(groups: int = 4, group_length: int = 5) -> str:
    """A random password such as `k7PqR-xm3Zt-...`: about 115 bits, easy to type."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(group_length)) for _ in range(groups))


def password_problem(password: str) -> str | None:
    """Why this password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    return None


def verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; never raises on a bad hash."""
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
