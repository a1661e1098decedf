"""Finding, reading and preparing submissions for `rnncourse grade`.

Submissions are .ipynb notebooks and the zips that `grader.export()` writes, given as files or
folders. Each is read here before anything runs: a file that Otter could not grade (not a
notebook, empty, broken JSON, a zip without a notebook, a notebook of another lab) raises Invalid
with a message saying why, which becomes the submission's row in the gradebook.
"""

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import GradeError
from .gradebook import MARKER

SUBMISSION_TYPES = (".ipynb", ".zip")


class Invalid(Exception):
    """A submission Otter cannot grade; the message is written into its row."""


@dataclass
class Submission:
    name: str       # its path relative to the folder given (or its file name): the gradebook's key
    path: Path
    sha256: str


@dataclass
class GradingJob:
    submission: Submission
    prepared: Path  # the copy that is graded, inside `work`
    work: Path      # a temporary folder of its own


def find_submissions(paths):
    """Every file under `paths` (files, or folders searched recursively), sorted by name.

    Hidden files and folders (.DS_Store, .ipynb_checkpoints) and gradebook folders (holding a
    gradebook.json) are skipped. Raises GradeError for a path that does not exist, for two
    different files with the same name, and when nothing is found.
    """
    found = {}
    for given in map(Path, paths):
        if not given.exists():
            raise GradeError(f"{given}: no such file or folder. Give files or folders of submissions.")
        if given.is_file():
            candidates = [(given.name, given)]
        else:
            gradebooks = [m.parent for m in given.rglob(MARKER)]
            candidates = [(str(p.relative_to(given)), p) for p in sorted(given.rglob("*"))
                          if p.is_file() and not any(part.startswith(".") or part == "__MACOSX"
                                                     for part in p.relative_to(given).parts)
                          and not any(p.is_relative_to(g) for g in gradebooks)]
        for name, path in candidates:
            if name in found and found[name].resolve() != path.resolve():
                raise GradeError(f"two submissions are named {name!r}: {found[name]} and {path}. "
                                 "Rename one, or grade them into different --out folders.")
            found[name] = path
    if not found:
        raise GradeError(f"no submissions found in {', '.join(map(str, paths))}: give .ipynb notebooks or "
                         "the zips that grader.export() writes, or folders holding them.")
    return [Submission(name, path, hashlib.sha256(path.read_bytes()).hexdigest())
            for name, path in sorted(found.items())]


def read_notebook(data, where, lab_name):
    """The notebook in `data` (bytes) as a dict, checked to be a notebook of lab `lab_name`."""
    import nbformat

    if not data.strip():
        raise Invalid(f"{where} is empty")
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Invalid(f"{where} is not valid JSON ({e}): it is probably cut short, or not a notebook; "
                      "download the .ipynb again") from None
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8-sig"), as_version=4))
    except Exception as e:
        raise Invalid(f"{where} is JSON but not a Jupyter notebook ({str(e).splitlines()[0][:120]})") from None
    assignment = (nb.get("metadata", {}).get("otter") or {}).get("assignment_name")
    if assignment is None:
        raise Invalid(f"{where} has no Otter assignment name in its metadata, so it was not made from "
                      f"labs/{lab_name}.ipynb: hand in the lab's own notebook")
    if assignment != lab_name:
        raise Invalid(f"{where} is a notebook of lab {assignment}, not {lab_name}")
    return nb


def zip_notebook(path, lab_name):
    """(member name, notebook dict) of the one notebook at the top of a grader.export() zip."""
    if not zipfile.is_zipfile(path):
        raise Invalid("not a readable zip file")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".ipynb") and not n.startswith("__MACOSX/")]
        top = [n for n in names if "/" not in n]
        if not top:
            inside = f" (only inside folders: {', '.join(names[:3])})" if names else ""
            raise Invalid(f"the zip holds no notebook at its top level{inside}; Otter grades the .ipynb "
                          "that grader.export() puts there")
        if len(top) > 1:
            raise Invalid(f"the zip holds {len(top)} notebooks ({', '.join(top[:4])}); Otter grades one")
        return top[0], read_notebook(zf.read(top[0]), f"the notebook {top[0]} in the zip", lab_name)


def with_python3_kernel(nb):
    """`nb` as JSON text, run by the python3 kernel (containers and Gradescope force it too)."""
    nb.setdefault("metadata", {}).setdefault("kernelspec", {}).update(
        name="python3", display_name="Python 3", language="python")
    return json.dumps(nb, ensure_ascii=False)


def prepare(submission, work, lab_name):
    """Check a submission and copy it into `work` to be graded; returns the copy. Raises Invalid."""
    path = submission.path
    suffix = path.suffix.lower()
    if suffix not in SUBMISSION_TYPES:
        raise Invalid(f"not a notebook: {path.name} is neither an .ipynb nor a zip from grader.export()")
    if path.stat().st_size == 0:
        raise Invalid("empty file")
    work.mkdir(parents=True)
    copy = work / f"submission{suffix}"
    if suffix == ".ipynb":
        copy.write_text(with_python3_kernel(read_notebook(path.read_bytes(), "the file", lab_name)), encoding="utf-8")
        return copy
    member, nb = zip_notebook(path, lab_name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, with_python3_kernel(nb) if info.filename == member else data)
    return copy


def autograder_digest(autograder_zip):
    """A digest of what the autograder zip holds (its timestamps left out): a rebuilt, unchanged lab
    keeps its digest, so its grades are kept; changed tests change it, so submissions are regraded."""
    h = hashlib.sha256()
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in sorted(zf.namelist()):
            h.update(name.encode() + b"\0" + zf.read(name) + b"\0")
    return h.hexdigest()
