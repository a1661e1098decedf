"""The instructor's tools: `rnncourse build` and `rnncourse list`, and their errors on bad input.

Each bad master notebook is a copy of lab 01 with one defect, in a course root of its own, so
the message can be checked to name the lab, the cell or key, and the fix.
"""

import shutil
from pathlib import Path

import nbformat
import pytest

from rnncourse.course.authoring.build import BuildError, build, remove_orphans
from rnncourse.course.authoring.labs import LabError, find_labs, select_labs

from helpers.command import rnncourse
from helpers.notebooks import first_code_cell

REPO = Path(__file__).resolve().parents[1]
LAB = "01-forward"


@pytest.fixture
def course(tmp_path):
    """A course root holding only lab 01's master."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(REPO / "solutions" / "course.yml", tmp_path / "solutions")
    shutil.copy(REPO / "solutions" / f"{LAB}.ipynb", tmp_path / "solutions")
    return tmp_path


def edit_master(course, change):
    path = course / "solutions" / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    change(nb.cells)
    nbformat.write(nb, path)


def index_of(cells, start):
    return next(i for i, c in enumerate(cells) if c.source.startswith(start))


def test_labs_are_found_by_number_or_name():
    """`rnncourse build 1`, `build 01`, `build forward` and `build 01-forward` all mean lab 01."""
    for spec in ["1", "01", "forward", "01-forward", "01-forward.ipynb"]:
        assert [lab.name for lab in select_labs(REPO, [spec])] == [LAB]


def test_unknown_lab_lists_the_known_ones(course):
    result = rnncourse("build", "9", cwd=course)
    assert result.returncode == 1
    assert "Unknown lab '9'" in result.stderr and LAB in result.stderr


def test_list_shows_questions_and_points():
    result = rnncourse("list", "1", cwd=REPO)
    assert result.returncode == 0, result.stderr
    lab = find_labs(REPO)[0]
    assert f"({lab.points:g} points)" in result.stdout
    for q in lab.questions:
        assert q.name in result.stdout
    assert "why_h_longer" in result.stdout and "written" in result.stdout


def test_outside_a_course_says_where_to_run(tmp_path):
    result = rnncourse("list", cwd=tmp_path)
    assert result.returncode == 1 and "course checkout" in result.stderr


@pytest.mark.parametrize("change, expected", [
    (lambda cells: cells[0].__setitem__("source", cells[0].source.replace("check_all_cell", "check_al_cell")),
     ["cell 0", "'check_al_cell'", "did you mean 'check_all_cell'"]),
    (lambda cells: cells[0].__setitem__("source", cells[0].source.replace("files: true", "file: true")),
     ["tests.file", "did you mean 'files'", "ignore it silently"]),
    (lambda cells: cells[0].__setitem__("source", cells[0].source.replace("name: 01-forward", "name: lab1")),
     ["set 'name: 01-forward'"]),
    (lambda cells: cells[0].__setitem__("source", cells[0].source + "\n  bad: [indent"),
     ["YAML does not parse"]),
])
def test_bad_assignment_config_is_named(course, change, expected):
    """A misspelled config key (top level or nested) or broken YAML names the cell, the key and the fix."""
    edit_master(course, change)
    with pytest.raises(LabError) as error:
        find_labs(course)
    for text in expected:
        assert text in str(error.value)
    assert f"lab {LAB}" in str(error.value) or LAB in str(error.value)


def set_rubric(cells, question, items):
    """Make `items` the only RUBRIC cell of `question`, at its end."""
    cells[:] = [c for c in cells if not c.source.startswith("# RUBRIC")]
    start = index_of(cells, f"# BEGIN QUESTION\nname: {question}\n")
    end = next(i for i in range(start, len(cells)) if cells[i].source.startswith("# END QUESTION"))
    cells[end:end] = [nbformat.v4.new_raw_cell("# RUBRIC\n" + "\n".join(items))]


@pytest.mark.parametrize("question, items, expected", [
    ("why_h_longer", ["- points: 0.5", "  criterion: names h_0 as the starting state"],
     ["RUBRIC of why_h_longer", "the rubric of 'why_h_longer' gives 0.5 points, the question 1"]),
    ("why_h_longer", ["- 1: names h_0"], ["write the rubric as a list of criteria"]),
    ("forward", ["- points: 1", "  criterion: right numbers"], ["a RUBRIC cell belongs inside a written question"]),
])
def test_a_rubric_must_be_a_written_questions_criteria_adding_up_to_its_points(course, question, items, expected):
    edit_master(course, lambda cells: set_rubric(cells, question, items))
    with pytest.raises(LabError) as error:
        find_labs(course)
    for text in expected:
        assert text in str(error.value), str(error.value)


def make_markdown(cells):
    i = index_of(cells, "# BEGIN QUESTION\nname: forward\n")
    cells[i] = nbformat.v4.new_markdown_cell(cells[i].source)
    return i


def test_boundary_cell_that_is_not_raw(course):
    """Otter silently ignores boundary cells that are not raw; we say which cell and to make it Raw."""
    cells_holder = {}
    edit_master(course, lambda cells: cells_holder.setdefault("i", make_markdown(cells)))
    cell = cells_holder["i"]
    with pytest.raises(LabError, match=rf"lab {LAB}, cell {cell}: .*markdown cell.*Change that cell's type to Raw"):
        find_labs(course)


def test_duplicate_question_name(course):
    def rename(cells):
        i = index_of(cells, "# BEGIN QUESTION\nname: forward_step")
        cells[i].source = cells[i].source.replace("forward_step", "forward")
    edit_master(course, rename)
    with pytest.raises(LabError, match=r"question name 'forward' is already used at cell \d+"):
        find_labs(course)


def test_unclosed_solution_block(course):
    def drop_end(cells):
        first_end = index_of(cells, "# END SOLUTION")
        del cells[first_end]
    edit_master(course, drop_end)
    with pytest.raises(LabError, match=r"END (QUESTION|SOLUTION) does not match|never closed"):
        find_labs(course)


def test_misspelled_question_key(course):
    def typo(cells):
        i = index_of(cells, "# BEGIN QUESTION\nname: forward\n")
        cells[i].source = cells[i].source.replace("points:", "pionts:")
    edit_master(course, typo)
    with pytest.raises(LabError, match=r"unknown question key 'pionts' \(did you mean 'points'\?\)"):
        find_labs(course)


@pytest.mark.slow
def test_failing_solution_fails_the_build_and_leaves_labs_alone(course):
    """Otter's exit code decides; the summary names lab, question and test; labs/ is untouched."""
    (course / "labs").mkdir()
    before = b"an older student notebook"
    (course / "labs" / f"{LAB}.ipynb").write_bytes(before)

    def wrong_o2(cells):
        i = index_of(cells, "h1 = relu(U @ x1")
        cells[i].source = cells[i].source.replace("o2 = W @ h2", "o2 = W @ h1")
    edit_master(course, wrong_o2)
    with pytest.raises(BuildError) as error:
        build(course, log=lambda *_: None)
    message = str(error.value)
    assert f"{LAB}: question 'forward', test test_forward_values failed: AssertionError: " in message
    assert "the cell's o2 against the step by hand" in message, "the failure says what was compared"
    assert "third_input" not in message, "questions that pass are not reported"
    assert (course / "labs" / f"{LAB}.ipynb").read_bytes() == before
    assert not (course / "dist").exists()


@pytest.mark.slow
def test_cli_build_prints_the_summary(course):
    """The instructor's one command: builds, refreshes labs/ and prints labs, questions and points.
    A package_source that can move (here a branch) is built with, and warned about."""
    branch = "rnncourse @ git+https://github.com/ORG/rnncourse.git@main"
    (course / "solutions" / "course.yml").write_text(f"package_source: '{branch}'\n")
    result = rnncourse("build", cwd=course)
    assert result.returncode == 0, result.stderr
    assert f"warning: package_source '{branch}'" in result.stderr and "looks like a branch" in result.stderr
    assert repr(branch) in first_code_cell(nbformat.read(course / "labs" / f"{LAB}.ipynb", as_version=4)).source
    lab = find_labs(course)[0]
    row = next(line for line in result.stdout.splitlines() if line.startswith(LAB))
    assert row.split() == [LAB, str(len(lab.questions)), str(len(lab.autograded)), f"{lab.points:g}"]
    assert (course / "labs" / f"{LAB}.ipynb").is_file()
    assert (course / "dist" / LAB / "autograder.zip").is_file()
    assert sorted(p.name for p in (course / "rnncourse" / "lab_tests" / LAB).glob("*.py")) == \
        sorted(f"{q.name}.py" for q in lab.autograded)


def write_student_files(root, lab):
    paths = [root / "labs" / f"{lab}.ipynb", root / "rnncourse" / "lab_tests" / lab / "q.py"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return paths


def test_orphan_removal_keeps_the_labs_it_is_given(tmp_path):
    """Student files of labs without a master go; those of the labs named stay."""
    kept, gone = write_student_files(tmp_path, LAB), write_student_files(tmp_path, "07-gone")
    remove_orphans(tmp_path, {LAB})
    assert all(p.is_file() for p in kept) and not any(p.exists() for p in gone)
    assert not (tmp_path / "rnncourse" / "lab_tests" / "07-gone").exists()


def test_full_build_removes_student_files_of_a_deleted_lab(tmp_path):
    """A full build of a course whose only master was deleted leaves no student notebook or public tests."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(REPO / "solutions" / "course.yml", tmp_path / "solutions")
    gone = write_student_files(tmp_path, "07-gone")
    assert build(tmp_path, log=lambda *_: None) == []
    assert not any(p.exists() for p in gone)


@pytest.mark.parametrize("text, expected", [
    ("package_source: x\npackage_sorce: y\n", ["unknown setting 'package_sorce'", "did you mean 'package_source'"]),
    ("package_source: ''\n", ["package_source should be a pip requirement", "leave it out"]),
    ("package_source: x\nextra_packages: [scikit-learn]\n", ["extra_packages should map module names"]),
    ("otter_version: '7.0.0'\npackage_source: x\n", ["unknown setting 'otter_version'"]),
])
def test_bad_course_settings_are_named(course, text, expected):
    """solutions/course.yml: a misspelled, missing or mistyped setting names the key and the fix."""
    (course / "solutions" / "course.yml").write_text(text)
    result = rnncourse("build", cwd=course)
    assert result.returncode == 1
    for words in expected:
        assert words in result.stderr, result.stderr


def pyproject_version():
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_package_source_defaults_to_the_release_that_builds_the_labs(course):
    """Left out of course.yml, package_source pins rnncourse to pyproject.toml's version."""
    from rnncourse.course.authoring.settings import CourseSettings

    (course / "solutions" / "course.yml").write_text("extra_packages: {sklearn: scikit-learn}\n")
    assert CourseSettings.read(course).package_source == f"rnncourse=={pyproject_version()}"


def test_every_lab_pins_the_version_in_pyproject():
    """labs/ as committed: each first cell installs rnncourse==<pyproject.toml's version> unless
    that very version is installed (a stale editable install would pin an old one: run setup)."""
    version = pyproject_version()
    for notebook in sorted((REPO / "labs").glob("*.ipynb")):
        cell = first_code_cell(nbformat.read(notebook, as_version=4)).source
        assert f"_lab_version, _source = '{version}', 'rnncourse=={version}'" in cell, \
            f"{notebook.name}: its first cell does not pin rnncourse {version}: run tools/setup.sh, rnncourse build"


@pytest.mark.parametrize("source, problem", [
    ("rnncourse==0.1.0", None),
    ("rnncourse @ git+https://github.com/o/rnncourse.git@v0.1.0", None),
    ("rnncourse @ git+https://github.com/o/rnncourse.git@3f2c1e9", None),
    ("rnncourse @ https://example.org/rnncourse-0.1.0-py3-none-any.whl", None),
    ("rnncourse", "names no exact version"),
    ("rnncourse>=0.1", "names no exact version"),
    ("rnncourse==0.0.9", "pins 0.0.9, but the labs are built with rnncourse 0.1.0"),
    ("rnncourse @ git+https://github.com/o/rnncourse.git@main", "'@main' looks like a branch"),
    ("git+https://github.com/o/rnncourse.git@fall-term", "'@fall-term' looks like a branch"),
    ("rnncourse @ git+ssh://git@github.com/o/rnncourse.git", "names no tag or commit"),
    ("rnncourse @ git+https://github.com/o/rnncourse.git@v0.2.0", "tag v0.2.0 is not the version"),
    ("rnncourse @ file:///srv/rnncourse-0.0.9-py3-none-any.whl", "the file is rnncourse 0.0.9"),
    ("numpy==1.26", "installs 'numpy', not rnncourse"),
])
def test_a_package_source_that_can_move_is_named(source, problem):
    from rnncourse.course.authoring.settings import pin_problem

    found = pin_problem(source, "0.1.0")
    assert (found is None) if problem is None else (problem in (found or "")), found


def test_first_cell_installs_the_course_package_the_pinned_otter_and_extras(course):
    """The student's first cell installs what course.yml names unless this version of rnncourse is
    there, plus the Otter release that built the lab and the extras when missing."""
    from importlib.metadata import version

    from rnncourse.course.authoring.first_cell import setup_cell_source
    from rnncourse.course.authoring.settings import CourseSettings

    (course / "solutions" / "course.yml").write_text("package_source: 'rnncourse @ git+https://x/y.git@v1'\n"
                                                     "extra_packages: {sklearn: scikit-learn}\n")
    cell = setup_cell_source(LAB, CourseSettings.read(course))
    assert f"_lab_version, _source = '{version('rnncourse')}', 'rnncourse @ git+https://x/y.git@v1'" in cell
    assert f"'otter': 'otter-grader[grading]=={version('otter-grader')}'" in cell
    assert "'sklearn': 'scikit-learn'" in cell
    assert cell.rstrip().endswith(f"grader = rnncourse.start_lab('{LAB}')")


def forward_test_cells(course):
    """How many test cells lab 01's question `forward` has."""
    cells = nbformat.read(course / "solutions" / f"{LAB}.ipynb", as_version=4).cells
    start = index_of(cells, "# BEGIN QUESTION\nname: forward\n")
    begin = next(i for i in range(start, len(cells)) if cells[i].source.startswith("# BEGIN TESTS"))
    end = next(i for i in range(begin, len(cells)) if cells[i].source.startswith("# END TESTS"))
    return sum(c.cell_type == "code" for c in cells[begin:end])


def set_forward_points(course, points):
    def change(cells):
        i = index_of(cells, "# BEGIN QUESTION\nname: forward\n")
        cells[i].source = cells[i].source.replace("points: 2", f"points: {points}")
    edit_master(course, change)


def test_points_per_test_case_add_up(course):
    """points: may list one value per test cell, or give each test cell the same value, as in Otter."""
    n = forward_test_cells(course)
    for points, expected in [(str([0] + [1] * (n - 1)), n - 1.0), ("{each: 1.5}", 1.5 * n), ("3", 3.0)]:
        shutil.copy(REPO / "solutions" / f"{LAB}.ipynb", course / "solutions")     # the master as it is
        set_forward_points(course, points)
        (lab,) = find_labs(course)
        assert next(q for q in lab.questions if q.name == "forward").points == expected


def test_points_list_of_the_wrong_length_is_named(course):
    n = forward_test_cells(course)
    set_forward_points(course, "[1, 1]")
    with pytest.raises(LabError, match=rf"\(forward\): 'points' lists 2 values but the question has {n} test cells"):
        find_labs(course)


def test_a_solution_line_that_students_see_in_given_code_is_no_secret(tmp_path):
    """Only what students cannot see counts as a leak: a line of the solution that the given code of
    the same lab also holds is not reported."""
    from rnncourse.course.authoring.leaks import find_leaks

    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        raw("# BEGIN QUESTION\nname: q"), raw("# BEGIN SOLUTION"),
        code("with torch.no_grad():\n    p -= lr * p.grad  # SOLUTION\n    p.grad.zero_()  # SOLUTION"),
        raw("# END SOLUTION"), raw("# END QUESTION"),
        code("with torch.no_grad():\n    w.grad.zero_()\n    p.grad.zero_()"),
    ])
    master = tmp_path / "01-x.ipynb"
    nbformat.write(nb, master)
    student = "with torch.no_grad():\n    p -= ...\n    p.grad.zero_()\n"
    assert find_leaks(master, {"student": student}) == []
    assert find_leaks(master, {"student": student + "p -= lr * p.grad"}) == \
        ["student: solution code 'p -= lr * p.grad'"]


KERNEL_TCP = ("[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication "
              "(including code and outputs) is sent in plain text and is accessible to anyone on the network.\n")
# What the checking process of a JupyterLab hand-in printed once (test_browser.py), the kernel's
# control thread flushing stderr after its event socket had closed.
SOCKET_CLOSED = """ERROR:tornado.general:Uncaught exception in ZMQStream callback
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/zmq/eventloop/zmqstream.py", line 585, in _log_error
    f.result()
  File "/venv/lib/python3.11/site-packages/ipykernel/iostream.py", line 343, in schedule
    self._event_pipe.send(b"")
  File "/venv/lib/python3.11/site-packages/zmq/sugar/socket.py", line 713, in send
    return super().send(data, flags=flags, copy=copy, track=track)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "zmq/backend/cython/_zmq.py", line 190, in zmq.backend.cython._zmq._check_rc
zmq.error.ZMQError: Socket operation on non-socket
"""
REAL_PROBLEM = """Traceback (most recent call last):
  File "<string>", line 1, in <module>
ModuleNotFoundError: No module named 'dill'
"""


def test_hand_in_hides_only_the_kernels_own_noise():
    """grader.submit() in Jupyter: the kernel's TCP note and its socket-closed traceback are dropped
    from what Otter's checking process printed; any other message reaches the student whole."""
    from rnncourse.course.kernel.student import without_kernel_noise

    assert without_kernel_noise(KERNEL_TCP) == ""
    assert without_kernel_noise(KERNEL_TCP + SOCKET_CLOSED) == ""
    assert without_kernel_noise(KERNEL_TCP + REAL_PROBLEM + SOCKET_CLOSED) == REAL_PROBLEM.strip()
    assert without_kernel_noise(SOCKET_CLOSED + REAL_PROBLEM) == REAL_PROBLEM.strip()
    other_socket_error = SOCKET_CLOSED.replace("ERROR:tornado.general:Uncaught exception in ZMQStream callback\n", "")
    assert without_kernel_noise(other_socket_error) == other_socket_error.strip()   # not the kernel's callback
