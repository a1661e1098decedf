"""`rnncourse build`: Otter Assign every lab, check it, then refresh labs/ and the shipped public tests.

For each lab, in a temporary folder: the master notebook gets the course's first cell and the
course requirements, `otter assign` builds the student and autograder versions and grades the
solution against the new autograder zip (its exit code decides), and the student files are
checked for leaks. Only when every lab asked for built cleanly are dist/<lab>/, labs/<lab>.ipynb
and rnncourse/lab_tests/<lab>/ replaced; a failed build leaves them as they were.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from ..files import write_atomic
from .first_cell import setup_cell_source
from .labs import CONFIG_MARK, RUBRIC_MARK, Lab, select_labs
from .leaks import find_leaks
from .settings import CourseSettings, package_version, pin_problem
from .syllabus import attribution_markdown, lab_header, read_syllabus

PUBLIC_TESTS = Path("rnncourse") / "lab_tests"
HAND_IN_TEXT = ("## Hand in\n\n"
                "Save the notebook, then run the cell below. It writes a zip to hand in: in Jupyter it "
                "also checks that the zip grades as your notebook does, and in Colab it runs every "
                "public check and starts the zip's download. The last cell of the notebook re-runs every "
                "public check.")


@dataclass
class BuiltLab:
    lab: Lab
    folder: Path          # temporary dist/<lab> while building
    student_nb: Path
    autograder_zip: Path


class BuildError(Exception):
    """One or more labs failed to build; the message is the summary to show."""


def support_files(lab):
    """The lab's hidden tests' own modules (a reference several tests share): solutions/support/<lab>/*.py.
    They go into the autograder zip only, beside its tests/, never to students."""
    return sorted((lab.master.parent / "support" / lab.name).glob("*.py"))


def prepare_master(lab, settings, folder, header):
    """Copy the master into `folder` with the course's first cell and requirements, its header (the
    markdown `header` in place of the master's title line) and its support files beside it (listed
    as Otter's autograder_files); return the copy's path."""
    nb = nbformat.read(lab.master, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "raw" and RUBRIC_MARK.match(c.source))]   # TAs' only
    title = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# "))
    title.source = title.source.split("\n", 1)[1].lstrip("\n") if "\n" in title.source else ""
    config_index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "raw" and CONFIG_MARK.match(c.source))
    config = dict(lab.config)
    # The autograder zip installs the course package (Gradescope); the student's first cell does the same.
    config.setdefault("requirements", [settings.package_source])
    for support in support_files(lab):
        shutil.copy(support, folder / support.name)
    if support_files(lab):
        config["autograder_files"] = [*config.get("autograder_files", []), *(p.name for p in support_files(lab))]
    nb.cells[config_index].source = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)
    setup = nbformat.v4.new_code_cell(setup_cell_source(lab.name, settings))
    nb.cells[config_index + 1:config_index + 1] = [nbformat.v4.new_markdown_cell(header), setup]
    nb.cells.append(nbformat.v4.new_markdown_cell(HAND_IN_TEXT))
    nb.cells.append(nbformat.v4.new_code_cell("grader.submit()"))
    path = folder / lab.master.name
    nbformat.write(nb, path)
    return path


def run_assign(master_copy, out):
    """otter assign; returns (ok, output). The exit code decides, not the files written."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    result = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master_copy), str(out)],
                            cwd=master_copy.parent, capture_output=True, text=True, env=env)
    return result.returncode == 0, result.stdout + result.stderr


QUESTION_LINE = re.compile(r"^\s*(\S+) results:")     # "q results:", or "q results: All test cases passed!"
CASE_LINE = re.compile(r"^\s*(\S+) - (\d+) result:\s*$")


def explain_failure(lab, output, tests_dir):
    """Turn Otter's failure output into lines naming the lab, question and failing test function."""
    marker = "Some autograder tests failed in the autograder notebook:"
    if marker not in output:
        tail = output.strip().splitlines()[-15:]
        return f"{lab.name}: otter assign failed:\n" + "\n".join(f"  {l}" for l in tail)
    failures, case, failed, reason = [], None, False, ""

    def close_case():
        if case and failed:
            question, number = case
            names = re.findall(r"^def (test_\w+)", (tests_dir / f"{question}.py").read_text(), re.M) \
                if (tests_dir / f"{question}.py").is_file() else []
            test = names[number - 1] if number <= len(names) else f"case {number}"
            failures.append(f"  {lab.name}: question {question!r}, test {test} failed: {reason}")

    for line in output.split(marker, 1)[1].splitlines():
        if CASE_LINE.match(line) or QUESTION_LINE.match(line):
            close_case()
            m = CASE_LINE.match(line)
            case, failed, reason = ((m.group(1), int(m.group(2))) if m else None), False, ""
        elif "❌" in line:
            failed = True
        elif line.strip():
            reason = line.strip()      # the last line of a failed case is the error itself
    close_case()
    return f"{lab.name}: the solution does not score full marks\n" + "\n".join(failures)


def check_student_files(lab, built):
    """Leaks into what students receive: the student notebook and its public tests."""
    student = built.folder / "student"
    texts = {str(p.relative_to(built.folder)): p.read_text() for p in student.rglob("*") if p.is_file()}
    return find_leaks(lab.master, texts)


def build_one(lab, settings, header, scratch):
    folder = scratch / lab.name
    prep = scratch / f"{lab.name}-master"
    prep.mkdir()
    master_copy = prepare_master(lab, settings, prep, header)
    ok, output = run_assign(master_copy, folder)
    if not ok:
        raise BuildError(explain_failure(lab, output, folder / "autograder" / "tests"))
    zips = sorted((folder / "autograder").glob("*-autograder_*.zip"))
    built = BuiltLab(lab, folder, folder / "student" / lab.master.name, zips[-1])
    leaks = check_student_files(lab, built)
    if leaks:
        raise BuildError(f"{lab.name}: student files would leak:\n" + "\n".join(f"  {x}" for x in leaks))
    grade_outside_the_kernel(built.autograder_zip)
    # A stable name beside Otter's timestamped one, for graders and scripts.
    shutil.copy2(built.autograder_zip, folder / "autograder.zip")
    return built


RUN_AUTOGRADER = '"""Gradescope runs this: rnncourse\'s grading, the tests outside the submission\'s kernel."""\n' \
    "from rnncourse.course.grading.gradescope import main\n\nmain([\"--root\", \"/autograder\"])\n"


def grade_outside_the_kernel(zip_path):
    """Point the autograder zip's entry (what Gradescope runs) at rnncourse's grading instead of
    Otter's, which runs the tests inside the student's kernel (grading/gradescope.py)."""
    with zipfile.ZipFile(zip_path) as zf:
        members = {info: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members.items():
            if info.filename == "run_autograder":
                data = data.replace(b"/autograder/source/run_otter.py", b"/autograder/source/run_rnncourse.py")
            if info.filename != "run_otter.py":
                zf.writestr(info, data)
        zf.writestr("run_rnncourse.py", RUN_AUTOGRADER)


def autograder_zip(root, lab):
    """Where the build puts lab `lab`'s autograder zip: dist/<lab>/autograder.zip."""
    return Path(root) / "dist" / lab.name / "autograder.zip"


def ensure_built(root, lab, log=print):
    """Build `lab` if its autograder zip is missing; say so if its master changed since it was built."""
    path = autograder_zip(root, lab)
    if not path.is_file():
        log(f"dist/{lab.name}/autograder.zip is missing: building lab {lab.name} first.")
        build(root, [lab.name], log=log)
    elif lab.master.stat().st_mtime > path.stat().st_mtime:
        log(f"note: {lab.master.name} changed after dist/{lab.name}/autograder.zip was built; "
            f"run `rnncourse build {lab.name}` to grade with the new version.")


def normalise_student_notebook(path):
    """Student notebook with fixed cell ids, so rebuilding an unchanged lab changes nothing."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nbformat.writes(nb) + "\n"


def install(built, root):
    """Move a built lab into dist/, labs/ and the package's public tests."""
    lab = built.lab
    dist = root / "dist" / lab.name
    if dist.exists():
        shutil.rmtree(dist)
    dist.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built.folder, dist)
    labs_dir = root / "labs"
    labs_dir.mkdir(exist_ok=True)
    write_atomic(labs_dir / f"{lab.name}.ipynb", normalise_student_notebook(built.student_nb))
    tests = root / PUBLIC_TESTS / lab.name
    if tests.exists():
        shutil.rmtree(tests)
    tests.mkdir(parents=True)
    for test in sorted((built.folder / "student" / "tests").glob("*.py")):
        shutil.copy2(test, tests / test.name)


def build(root, wanted=(), log=print):
    """Build the labs in `wanted` (all when empty). Returns the labs; raises BuildError or LabError."""
    root = Path(root)
    settings = CourseSettings.read(root)
    labs = select_labs(root, wanted)
    infos, warnings = read_syllabus(labs, settings, complete=not wanted)
    headers = {info.name: lab_header(info, settings) for info in infos}
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    unpinned = pin_problem(settings.package_source, package_version())
    if unpinned:
        # A warning, not an error: a course in development builds from a branch all the time.
        print(f"warning: package_source {settings.package_source!r} in solutions/course.yml may not install "
              f"the rnncourse these labs are built with: {unpinned}. Leave package_source out to pin "
              f"rnncourse=={package_version()}, or pin a tag or commit (docs/instructors.md: Before the first class).",
              file=sys.stderr)
    built, failures = [], []
    with tempfile.TemporaryDirectory(prefix="rnncourse-build-") as scratch:
        for lab in labs:
            log(f"building {lab.name} ...")
            try:
                built.append(build_one(lab, settings, headers[lab.name], Path(scratch)))
            except BuildError as e:
                failures.append(str(e))
        if failures:
            raise BuildError("Build failed; labs/ and dist/ are unchanged.\n" + "\n".join(failures))
        for lab_build in built:
            install(lab_build, root)
    write_atomic(root / "ATTRIBUTION.md", attribution_markdown(settings))
    if not wanted:
        remove_orphans(root, {lab.name for lab in labs})
    return labs


def remove_orphans(root, names):
    """After a full build, drop student files whose master is gone from solutions/."""
    for notebook in (root / "labs").glob("*.ipynb"):
        if notebook.stem not in names:
            notebook.unlink()
    for folder in (root / PUBLIC_TESTS).glob("*"):
        if folder.is_dir() and folder.name not in names:
            shutil.rmtree(folder)


def summary(labs):
    """A table of labs, questions and points."""
    rows = [f"{'lab':<22} {'questions':>9} {'autograded':>10} {'points':>7}"]
    for lab in labs:
        rows.append(f"{lab.name:<22} {len(lab.questions):>9} {len(lab.autograded):>10} {lab.points:>7g}")
    rows.append(f"{'total':<22} {sum(len(l.questions) for l in labs):>9} "
                f"{sum(len(l.autograded) for l in labs):>10} {sum(l.points for l in labs):>7g}")
    return "\n".join(rows)

