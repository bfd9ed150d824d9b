"""Class mode: class sessions with a join code, their students and votes, in the run store's database.

No Streamlit here: the app's Class page (app/views/classroom/) draws what this package keeps.
"""

from optim_core.classroom.codes import (
    ALPHABET,
    CODE_LENGTH,
    BadCode,
    new_code,
    new_student_id,
    normalize_code,
)
from optim_core.classroom.records import (
    BadVote,
    ClassError,
    ClassFull,
    ClassNotFound,
    ClassState,
    Limits,
    NotInstructor,
    NotJoined,
    Question,
    QuestionChanged,
    Tally,
    TooManyClasses,
    VotingClosed,
)
from optim_core.classroom.store import ACTIONS, ClassStore

__all__ = [
    "ACTIONS",
    "ALPHABET",
    "CODE_LENGTH",
    "BadCode",
    "BadVote",
    "ClassError",
    "ClassFull",
    "ClassNotFound",
    "ClassState",
    "ClassStore",
    "Limits",
    "NotInstructor",
    "NotJoined",
    "Question",
    "QuestionChanged",
    "Tally",
    "TooManyClasses",
    "VotingClosed",
    "new_code",
    "new_student_id",
    "normalize_code",
]
