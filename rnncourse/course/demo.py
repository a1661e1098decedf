"""`rnncourse demo`: grade a few made-up submissions of each lab, to see `rnncourse grade` at work.

The submissions are made from what the build wrote, every time, so they never go stale:

    correct.ipynb        the solved notebook (Otter's autograder copy of the lab), whose written
                         answers are the instructor's
    partly-wrong.ipynb   the solved notebook with the last autograded question's answer cell set
                         back to the student's blank (`...`): it loses exactly that question; its
                         written answers are a weaker student's (WEAK_ANSWER), for `rnncourse review`
    blank.ipynb          the student notebook from labs/, as handed out
    broken.ipynb         the first half of the solved notebook's file: not valid JSON

They go to dist/demo/<lab>/submissions/ and their grades to dist/demo/<lab>/grades/.
"""

import nbformat

from .authoring.answers import answer_cell, with_answer
from .authoring.build import ensure_built
from .authoring.labs import select_labs
from .files import shown
from .grading.grade import grade
from .ta.review import written_blocks

WEAK_ANSWER = "It is needed for the first step, I think. (A demo answer that names the idea without explaining it.)"


def partly_wrong(solved, blank, question):
    """`solved` (a notebook) with the answer to `question` replaced by the blank notebook's cell,
    and every written answer replaced by WEAK_ANSWER."""
    blank_answer = blank.cells[answer_cell(blank, question)[0]].source
    nb = with_answer(solved, question, blank_answer, cut=False)
    for _, cells in written_blocks(nb):
        for cell in cells:
            cell.source = WEAK_ANSWER if "otter_answer_cell" in cell.metadata.get("tags", []) else ""
    return nb


def write_demo_submissions(root, lab, folder):
    """Write the four demo submissions of `lab` into `folder`; returns the question made wrong."""
    solved_path = root / "dist" / lab.name / "autograder" / f"{lab.name}.ipynb"
    solved = nbformat.read(solved_path, as_version=4)
    blank = nbformat.read(root / "labs" / f"{lab.name}.ipynb", as_version=4)
    question = lab.autograded[-1].name
    folder.mkdir(parents=True, exist_ok=True)
    text = solved_path.read_text()
    (folder / "correct.ipynb").write_text(text)
    nbformat.write(partly_wrong(solved, blank, question), folder / "partly-wrong.ipynb")
    nbformat.write(blank, folder / "blank.ipynb")
    (folder / "broken.ipynb").write_text(text[:len(text) // 2])
    return question


def demo(root, lab_specs=(), jobs=None, log=print):
    """Make and grade the demo submissions of each lab (all when none are named, each built first if
    it is not); print the gradebooks."""
    labs = select_labs(root, lab_specs)
    books = []
    for lab in labs:
        ensure_built(root, lab, log)
        base = root / "dist" / "demo" / lab.name
        question = write_demo_submissions(root, lab, base / "submissions")
        log(f"\n== {lab.name}: demo submissions in {shown(base / 'submissions')} "
            f"(partly-wrong.ipynb leaves question {question} blank)")
        book = grade(root, lab.name, [base / "submissions"], out=base / "grades", jobs=jobs, log=log)
        log(book.table())
        log(book.summary())
        books.append(book)
    return books
