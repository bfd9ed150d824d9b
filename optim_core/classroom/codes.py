"""Join codes and anonymous student ids: short, unambiguous, checked before they reach a query.

A join code is read off a projector and typed on a phone, so it uses no character that looks like
another: no 0/O, 1/I/L. Six of the 31 left give 31^6 ≈ 8.9e8 codes; the store checks each new code
against the live classes (a UNIQUE column) and draws again on a collision.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # digits and capitals without 0, 1, I, L, O
CODE_LENGTH = 6
_STUDENT = re.compile(r"[A-Za-z0-9_-]{8,32}")


class BadCode(ValueError):
    """Text that cannot be a join code (the message never repeats the text)."""


def new_code() -> str:
    """A random join code: CODE_LENGTH characters of ALPHABET."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A typed code as the store keeps it: case and separators forgiven ("ab c-234" -> "ABC234").

    Raises BadCode for anything else, before it reaches a query."""
    code = re.sub(r"[\s\-_.]", "", text[: 4 * CODE_LENGTH]).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise BadCode("a join code is 6 letters and digits")
    return code


def new_student_id() -> str:
    """An anonymous per-browser id (16 URL-safe characters, 96 random bits): nothing about the student."""
    return secrets.token_urlsafe(12)


def valid_student_id(text: str) -> bool:
    """8-32 URL-safe characters: an id the app made (or one as harmless)."""
    return bool(_STUDENT.fullmatch(text))
