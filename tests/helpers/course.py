"""The course built once per run: every lab in solutions/ (or those RNNCOURSE_LABS names, e.g.
"02 bigram"), a test per lab for tests that take `lab`, the demo command run once, and the
student course published once.

Collection reads only file names. A test that needs the built course is marked slow.
"""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from rnncourse.course.authoring.labs import lab_names

from helpers.cache import REPO, build_key
from helpers.command import rnncourse
from helpers.contract import start_contract

LAB_NAMES = lab_names(REPO, os.environ.get("RNNCOURSE_LABS", "").split())
PARALLEL = 2                    # the CI machine's cores: builds and notebook runs at once


def pytest_generate_tests(metafunc):
    """A test that takes `lab` runs once for every lab in solutions/ (a new lab is tested for free)."""
    if "lab" in metafunc.fixturenames:
        metafunc.parametrize("lab", LAB_NAMES)


def pytest_collection_modifyitems(items):
    """A test that needs the built course (and with it Otter builds, gradings, notebook runs) is slow.

    Tests that read the contract's grades run last: the contract grades in the background from the
    moment the course is built, and every other test runs meanwhile instead of after it.
    """
    for item in items:
        if {"built", "contract", "published"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: "contract" in getattr(item, "fixturenames", ()))      # stable: order kept


@dataclass
class BuiltCourse:
    root: Path
    labs: dict                          # name -> Lab
    contract_grading: object = None     # ContractGrading, when this run checks the contract

    def autograder_zip(self, lab):
        return self.root / "dist" / lab / "autograder.zip"

    def solved_notebook(self, lab):
        """Otter's autograder notebook: the student notebook with the solutions filled in."""
        return self.root / "dist" / lab / "autograder" / f"{lab}.ipynb"

    def student_notebook(self, lab):
        return self.root / "labs" / f"{lab}.ipynb"

    def tests_file(self, lab, question):
        """The question's Otter test file, hidden tests included."""
        return self.root / "dist" / lab / "autograder" / "tests" / f"{question}.py"


def build_cached(cache, lab):
    """A course root under `cache` in which `lab` is built (built now unless its key is cached)."""
    from rnncourse.course.authoring.build import build

    root = cache / "build" / f"{lab}-{build_key(lab)}"
    if not (root / "built").is_file():
        for stale in (cache / "build").glob(f"{lab}-*"):
            shutil.rmtree(stale)
        (root / "solutions").mkdir(parents=True)
        for name in (f"{lab}.ipynb", "course.yml"):
            shutil.copy(REPO / "solutions" / name, root / "solutions" / name)
        if (REPO / "solutions" / "support" / lab).is_dir():
            shutil.copytree(REPO / "solutions" / "support" / lab, root / "solutions" / "support" / lab)
        build(root, [lab], log=lambda *_: None)
        (root / "built").write_text("")
    return root


@pytest.fixture(scope="session")
def built(request, cache_dir, tmp_path_factory):
    """Every selected lab built (two at a time when not cached), gathered in a temporary course root
    that tests may write into; solutions/ holds every master.

    If this run checks the grading contract, its grading starts now, in the background: the other
    tests on the built course run while it grades.
    """
    from rnncourse.course.authoring.labs import select_labs

    with ThreadPoolExecutor(PARALLEL) as pool:
        roots = dict(zip(LAB_NAMES, pool.map(lambda lab: build_cached(cache_dir, lab), LAB_NAMES)))
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "solutions", root / "solutions", ignore=shutil.ignore_patterns("*.png"))
    for lab, built_root in roots.items():
        shutil.copytree(built_root / "dist" / lab, root / "dist" / lab)
        (root / "labs").mkdir(exist_ok=True)
        shutil.copy(built_root / "labs" / f"{lab}.ipynb", root / "labs")
        shutil.copytree(built_root / "rnncourse" / "lab_tests" / lab, root / "rnncourse" / "lab_tests" / lab)
    course = BuiltCourse(root, {lab.name: lab for lab in select_labs(root, LAB_NAMES)})
    if any("contract" in item.fixturenames for item in request.session.items):
        course.contract_grading = start_contract(course, cache_dir, tmp_path_factory.mktemp("contract"),
                                                 request.getfixturevalue("colab_kernel"))
    yield course
    if course.contract_grading:
        started = course.contract_grading
        started.grading.stop()
        started.forked.stop()
        if started.handins.done() and started.handins.exception() is None and started.handins.result():
            started.handins.result().stop()


@pytest.fixture(scope="session")
def demo_run(built):
    """`rnncourse demo 1` once: lab 01's demo submissions graded, as the README's first command
    does. (the finished command, its gradebook folder); tests that write there work on a copy."""
    result = subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "demo", "1", "--jobs", "2"],
                            cwd=built.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result, built.root / "dist" / "demo" / "01-forward" / "grades"


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """`rnncourse publish DEST --wheel` of this checkout (its labs/ as committed) into an empty
    folder, once: (the finished command, DEST). Tests that change DEST work on a copy."""
    dest = tmp_path_factory.mktemp("published") / "student-course"
    result = rnncourse("publish", str(dest), "--wheel", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, dest
