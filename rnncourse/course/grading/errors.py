"""The error of the grading stage: a batch that cannot start. (A submission that cannot be graded
is not an error: it gets a Result saying why.)"""


class GradeError(Exception):
    """The batch cannot start (no submissions, bad arguments, no Docker); the message says what to do."""
