"""What the class store returns and refuses: its records, its limits and its errors."""

from __future__ import annotations

from dataclasses import dataclass


class ClassError(ValueError):
    """Base of what a class action refuses; `kind` names the reason for the page's message."""

    kind = "error"


class ClassNotFound(ClassError):
    """No live class with that code (never existed, expired, or closed)."""

    kind = "not_found"


class ClassFull(ClassError):
    kind = "full"


class TooManyClasses(ClassError):
    kind = "too_many"


class VotingClosed(ClassError):
    """The question is revealed: its votes are final."""

    kind = "closed"


class QuestionChanged(ClassError):
    """The vote was for a question the class has left (the instructor moved on meanwhile)."""

    kind = "moved"


class NotJoined(ClassError):
    kind = "not_joined"


class BadVote(ClassError):
    """Not one of the current question's answers, or a malformed student id."""

    kind = "bad_vote"


class NotInstructor(PermissionError):
    """The action needs the instructor's key (the message never names a key)."""


@dataclass(frozen=True)
class Limits:
    """How many classes live at once, how long one lives, how big one may be."""

    classes: int = 100  # live classes on the server; a new one is refused beyond (expired ones go first)
    age_s: float = 12 * 3600.0  # a class expires 12 hours after it started
    students: int = 300  # students in one class
    questions: int = 200  # questions in one class's plan


@dataclass(frozen=True)
class Question:
    lesson: str  # the lesson's id
    answers: tuple[str, ...]  # its answer ids, in the order they are shown


@dataclass(frozen=True)
class ClassState:
    code: str
    position: int
    plan: tuple[Question, ...]
    revealed: bool  # the current question is revealed
    version: int
    created: float
    expires: float

    @property
    def question(self) -> Question:
        return self.plan[self.position]


@dataclass(frozen=True)
class Tally:
    position: int
    counts: dict[str, int]  # answer id -> votes, every answer of the question, in its order
    students: int  # joined the class

    @property
    def voters(self) -> int:
        return sum(self.counts.values())
