"""What the course plugin and the contract plugin keep in pytest's cache folder
(.pytest_cache/d/rnncourse), keyed by content, so a second run rebuilds and regrades only what
changed, and CI, starting clean, does everything:

    build/<lab>-<key>/     one lab built by `rnncourse build` in a course root of its own; the key
                           hashes the master, course.yml, the course tooling and Otter's version
    runs/<key>/            a notebook executed as a student would in Colab (simulated), with the
                           zip its grader.submit() wrote; the key hashes the notebook, the
                           package and the Colab stand-in
    grades/<package>/<lab> the gradebook of `rnncourse grade` over the lab's solved and blank
                           notebooks (<lab>-handin: over the zip its Jupyter run handed in); it
                           regrades a submission whose file or autograder changed, and the folder
                           changes with the package's code; calls/ beside results/ holds what the
                           tests asked of each submission's functions (grading/recording.py), recorded
                           as it was graded, so a cached grade comes with its calls
    grades/<package>/<lab>-cut-<key>  the lab's stubs, wrong answers and correct variants, graded
                           by forked_grading.py (the lab's shared cells run once); the key hashes
                           those notebooks, the build and forked_grading.py
"""

import hashlib
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def digest(*parts):
    """sha256 of bytes, str and paths (their contents), in order, as hex."""
    h = hashlib.sha256()
    for part in parts:
        data = part.read_bytes() if isinstance(part, Path) else part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def sources(folder, pattern="*.py"):
    return sorted(p for p in folder.rglob(pattern) if "__pycache__" not in p.parts)


def build_key(lab):
    """What a lab's build depends on: its master and support files, course.yml, the course tooling,
    Otter's release."""
    return digest(REPO / "solutions" / f"{lab}.ipynb", REPO / "solutions" / "course.yml",
                  *sources(REPO / "solutions" / "support" / lab),
                  *sources(REPO / "rnncourse" / "course"), version("otter-grader"))[:20]


def package_key():
    """What running and grading a notebook depends on besides the notebook: the whole package
    (tests of every lab import it) and Otter's release."""
    package = [p for p in sources(REPO / "rnncourse") if "lab_tests" not in p.parts]
    return digest(*package, version("otter-grader"))[:20]
