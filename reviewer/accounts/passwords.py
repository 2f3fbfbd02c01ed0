"""Password hashing (argon2id via argon2-cffi), password strength (zxcvbn) and generated passwords.

The hasher travels in the sessionmaker's `info` so that services can hash
and verify without reaching for Flask configuration.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# zxcvbn's score (0 to 4) a password needs: 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_STRENGTH_SCORE = 3
# zxcvbn scores at most this many characters (its own limit; longer takes far longer): the rest only adds strength.
_STRENGTH_CHECKED_LENGTH = 72

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


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why this password is not acceptable, or None when it is.

    `user_inputs`: the person's username, display name and email; a password
    built from them (or a common password, a keyboard pattern, a repeat) is
    too easy to guess.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    result = zxcvbn(password[:_STRENGTH_CHECKED_LENGTH], user_inputs=context_words(user_inputs))
    if result["score"] >= MIN_STRENGTH_SCORE:
        return None
    warning = result["feedback"]["warning"].rstrip(".") or "It is close to a common password, your name or a pattern"
    hints = " ".join(result["feedback"]["suggestions"]) or "A few unrelated words make a good one."
    return f"This password is too easy to guess: {warning[0].lower()}{warning[1:]}. {hints}"


def context_words(texts: Iterable[str | None]) -> list[str]:
    """Each text (username, name, email) whole, in its parts and its parts joined, lower-case: a guesser's first tries."""
    words: set[str] = set()
    for text in texts:
        text = (text or "").strip().lower()
        parts = [part for part in re.split(r"[^a-z0-9]+", text) if len(part) > 1]
        words.update([text, *parts, "".join(parts), ".".join(parts)])
    words.discard("")
    return sorted(words)


def verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; never raises on a bad hash."""
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
