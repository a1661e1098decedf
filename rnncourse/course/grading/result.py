"""What grading one submission gives: the Result, one per submission, one JSON file in the gradebook.

Every way of grading (forked processes, Docker, the test suite's forked grader) produces a Result;
the gradebook keeps them, and grades.csv, the feedback and the TA tools are made from them.
"""

import json
from dataclasses import asdict, dataclass, field, fields, replace

STATUSES = ("graded", "timeout", "error", "invalid", "tampered")


@dataclass(frozen=True)
class Result:
    """The grading of one submission.

    Only `status` "graded" carries points; every other status says why in `message`.
    """

    status: str                                  # one of STATUSES
    message: str = ""                            # why it is not graded ("" when graded)
    total: float | None = None                   # points earned (None unless graded)
    possible: float | None = None                # points possible: the lab's autograded points
    scores: dict = field(default_factory=dict)   # {question: points}
    public: dict = field(default_factory=dict)   # {question: the public tests' summary, as students see it}
    hidden: dict = field(default_factory=dict)   # {question: [hidden cases passed, hidden cases]}
    failures: dict = field(default_factory=dict)  # {question: [messages of its failed cases, hidden ones
    #                                               included]}: for TAs, never in the feedback
    seconds: float = 0.0                         # how long grading took
    # Which submission, graded how: filled in by `rnncourse grade` around what an engine returns.
    submission: str = ""                         # its name in the batch: the gradebook's key
    source: str = ""                             # the file's absolute path when it was graded
    sha256: str = ""                             # of the file
    autograder: str = ""                         # digest of the autograder zip's contents
    timeout: float = 0.0                         # the time limit it ran under (seconds)
    engine: str = "local"                        # "local" or "docker"

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; a Result's status is one of {', '.join(STATUSES)}")

    @property
    def graded(self):
        return self.status == "graded"

    def but(self, **changes):
        """A copy with `changes` (a Result is never changed in place)."""
        return replace(self, **changes)

    def to_json(self):
        return json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data):
        """A Result from its JSON form; keys it does not know (an older or newer gradebook) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))
