"""The grading contract's submissions, written from what the build made and graded once per run.

The contract's grading, the runs of the solved notebooks as students run them and then the grading
of the zips those runs hand in start in the background as soon as the course is built (`built`
calls start_contract), so that the other tests on the built course run meanwhile; the `contract`
fixture waits for every grade.
"""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml

from rnncourse.course.authoring.answers import names_under_test, stub_answer, with_answer
from rnncourse.course.grading.result import Result

from helpers.cache import REPO, build_key, digest, package_key, sources
from helpers.notebooks import COLAB, kernel_argv, run_notebook

TESTS = REPO / "tests"
PARALLEL = 2                    # the CI machine's cores: notebook runs and forked gradings at once
GRADING_JOBS = PARALLEL + 1     # gradings at once: each waits on its kernel part of the time
GRADING_TIMEOUT = 600           # seconds per submission; the longest lab runs in well under a minute


def load_answers(kind, lab):
    """{question: [{"why": ..., "code": ...}, ...]} from tests/<kind>/<lab>.yml ({} if missing)."""
    path = TESTS / kind / f"{lab}.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


@dataclass
class LabContract:
    """One lab's contract submissions, graded, and its notebooks as students run them."""
    lab: object                 # labs.Lab
    mutants: dict               # question -> wrong answers [{why, code}]
    alternatives: dict          # question -> correct variants [{why, code}]
    colab_run: object = None    # the solved notebook as it ran in (simulated) Colab
    results: dict = field(default_factory=dict)  # submission file name -> gradebook result (gradebook.py)

    def why_failed(self, submission, question):
        """The messages of the question's failed test cases in a graded submission (hidden ones too)."""
        return " | ".join(self.results[submission].failures.get(question, [])) or "no message"

    def scores(self, submission):
        """{question: points} of a graded submission; fails the test if it was not graded."""
        result = self.results.get(submission)
        assert result is not None, f"{self.lab.name}/{submission} was not graded"
        assert result.graded, f"{self.lab.name}/{submission}: {result.status}: {result.message}"
        return result.scores


@pytest.fixture(scope="session")
def kernels(tmp_path_factory):
    """add(name, argv, env=None): a Jupyter kernelspec that this session's notebook runs can name."""
    spec_root = tmp_path_factory.mktemp("jupyter")
    os.environ["JUPYTER_PATH"] = str(spec_root)

    def add(name, argv, env=None):
        spec = spec_root / "kernels" / name
        spec.mkdir(parents=True)
        spec.joinpath("kernel.json").write_text(json.dumps({
            "argv": argv, "display_name": name, "language": "python",
            "env": env or {}}))
        return name

    return add


@pytest.fixture(scope="session")
def colab_kernel(kernels):
    """A kernelspec whose shell is google.colab._shell.Shell, so Otter takes its Colab path for real."""
    return kernels("fake-colab", kernel_argv(sys.executable, colab=True), {"PYTHONPATH": str(COLAB)})


def run_cached(cache, scratch, lab, notebook, kernel):
    """The solved notebook run as a student runs it, from the cache when nothing it depends on
    changed: under the simulated Colab kernel, in a folder with no notebook file, as in Colab. It
    ends with grader.submit(), which writes the zip a student hands in, kept as handin.zip beside
    the executed notebook. Returns the cache folder.
    """
    key = digest(notebook, package_key(), *sources(COLAB))[:20]
    stored = cache / "runs" / f"{lab}-colab-solved-{key}"
    if not (stored / "executed.ipynb").is_file():
        for stale in (cache / "runs").glob(f"{lab}-colab-solved-*"):
            shutil.rmtree(stale)
        folder = scratch / f"{lab}-colab-solved"
        nb = run_notebook(notebook, folder, kernel, colab=True)
        stored.mkdir(parents=True)
        for handed_in in folder.glob(f"{lab}_*.zip"):
            shutil.copy(handed_in, stored / "handin.zip")
        nbformat.write(nb, stored / "executed.ipynb")
    return stored


def contract_submissions(built, lab, folder, cut_folder):
    """Write the lab's contract submissions but the handed-in zip: the blank notebook into
    `folder`; the stubs, wrong answers and correct variants (each cut after its question) into
    `cut_folder`. Returns (mutants, alternatives)."""
    name = lab.name
    solved = nbformat.read(built.solved_notebook(name), as_version=4)
    blank = nbformat.read(built.student_notebook(name), as_version=4)
    folder.mkdir(parents=True)
    cut_folder.mkdir(parents=True)
    shutil.copy(built.student_notebook(name), folder / "blank.ipynb")
    mutants, alternatives = load_answers("mutants", name), load_answers("alternatives", name)
    for question in lab.autograded:
        q = question.name
        stub = stub_answer(solved, blank, q, names_under_test(built.tests_file(name, q)))
        nbformat.write(with_answer(solved, q, stub), cut_folder / f"stub-{q}.ipynb")
        for kind, answers in (("mutant", mutants), ("alternative", alternatives)):
            for k, answer in enumerate(answers.get(q, [])):
                nbformat.write(with_answer(solved, q, answer["code"]), cut_folder / f"{kind}-{q}-{k}.ipynb")
    return mutants, alternatives


GRADE_ALL = """import json, os, sys
from rnncourse.course.grading.grade import grade
os.environ["RNNCOURSE_RECORD_CALLS"] = "1"      # the tests' calls kept beside each result (grading/recording.py)
root, batches, jobs, timeout = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for lab, folder, out in batches:
    grade(root, lab, [folder], out=out, jobs=jobs, timeout=timeout)
"""


@dataclass
class Grading:
    """One `rnncourse grade` process (grade.grade, as the command calls it) over batches
    [(lab, submissions folder, gradebook folder)], lab after lab, its output in `log`."""
    batches: list
    log: Path
    process: subprocess.Popen

    @classmethod
    def start(cls, built, batches, log):
        with open(log, "w") as out:
            process = subprocess.Popen([sys.executable, "-c", GRADE_ALL, str(built.root), json.dumps(batches),
                                        str(GRADING_JOBS), str(GRADING_TIMEOUT)], cwd=built.root,
                                       stdout=out, stderr=subprocess.STDOUT)
        return cls(batches, log, process)

    def wait(self):
        code = self.process.wait()
        assert code == 0, f"rnncourse grade failed (exit code {code}); the end of {self.log}:\n" \
                          + self.log.read_text(errors="replace")[-3000:]

    def stop(self):
        self.process.kill()
        self.process.wait()

    def results(self):
        """{lab: {submission: result}} from the gradebooks; results of files no longer there are dropped."""
        return {lab: read_gradebook(Path(out), {p.name for p in Path(folder).iterdir()})
                for lab, folder, out in self.batches}


def read_gradebook(out, keep):
    """{submission: result} from a gradebook folder; results of submissions not in `keep` are dropped."""
    results = {}
    for path in sorted((out / "results").glob("*.json")) if (out / "results").is_dir() else []:
        result = Result.from_json(path.read_text())
        if result.submission in keep:
            results[result.submission] = result
        else:
            path.unlink()
    return results


FORKED = TESTS / "helpers" / "forked_grading.py"


@dataclass
class ForkedGrading:
    """tests/forked_grading.py over the labs' cut submissions, PARALLEL labs at a time, from threads
    of this process; each lab's results are cached by content in a gradebook folder of its own."""
    batches: list               # [(lab, autograder zip, cut submissions folder, results folder)]
    log: Path
    futures: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    stopped: bool = False

    @classmethod
    def start(cls, batches, log):
        grading = cls(batches, log)
        pool = ThreadPoolExecutor(PARALLEL)
        grading.futures = [pool.submit(grading.grade_lab, *batch) for batch in batches]
        pool.shutdown(wait=False)
        return grading

    def grade_lab(self, lab, autograder_zip, folder, out):
        log = Path(f"{self.log}.{lab}")
        if (Path(out) / "done").is_file() or self.stopped:
            return
        with open(log, "w") as output:
            # its scratch folder in this run's own (pytest keeps the last few), even if it is killed
            process = subprocess.Popen([sys.executable, str(FORKED), str(autograder_zip), str(folder), str(out)],
                                       stdout=output, stderr=subprocess.STDOUT,
                                       env={**os.environ, "TMPDIR": str(self.log.parent)})
            self.processes.append(process)
            code = process.wait()
        assert code == 0 or self.stopped, (f"forked grading of {lab} failed (exit code {code}); the end of "
                                           f"{log}:\n" + log.read_text(errors="replace")[-3000:])

    def wait(self):
        for future in self.futures:
            future.result()

    def stop(self):
        self.stopped = True
        for process in self.processes:
            process.kill()

    def results(self):
        return {lab: read_gradebook(Path(out), {p.name for p in Path(folder).iterdir()})
                for lab, _, folder, out in self.batches}


@dataclass
class ContractGrading:
    """The contract's submissions (but the handed-in zips), written and being graded, and the
    solved notebooks being run as students run them."""
    contracts: dict             # lab -> LabContract, results not yet read
    grading: Grading            # the blank notebooks, by `rnncourse grade`
    forked: ForkedGrading       # the cut submissions
    runs: list                  # [(lab, Future of its run's cache folder)], run_cached in Colab
    handins: Future             # of the Grading of the zips the runs handed in (None if none)
    scratch: Path
    grades: Path                # this package's gradebooks in the cache


def start_contract(built, cache_dir, scratch, colab_kernel):
    """Write every lab's contract submissions (but the handed-in zip) under `scratch`, start
    grading them and start running each lab's solved notebook in (simulated) Colab; returns the
    ContractGrading."""
    grades = cache_dir / "grades" / package_key()
    for stale in (cache_dir / "grades").glob("*"):
        if stale != grades:
            shutil.rmtree(stale)
    contracts, batches, cut = {}, [], []
    for name, lab in built.labs.items():
        folder, cut_folder = scratch / "submissions" / name, scratch / "cut" / name
        mutants, alternatives = contract_submissions(built, lab, folder, cut_folder)
        contracts[name] = LabContract(lab, mutants, alternatives)
        batches.append((name, str(folder), str(grades / name)))
        files = sorted(cut_folder.iterdir())
        out = grades / f"{name}-cut-{digest(*(f.name for f in files), *files, FORKED, build_key(name))[:12]}"
        for stale in grades.glob(f"{name}-cut-*"):
            if stale != out:
                shutil.rmtree(stale)
        cut.append((name, built.autograder_zip(name), cut_folder, out))
    pool = ThreadPoolExecutor(PARALLEL)
    runs = [(lab, pool.submit(run_cached, cache_dir, scratch, lab, built.solved_notebook(lab), colab_kernel))
            for lab in built.labs]
    handins = pool.submit(hand_in, built, runs, scratch, grades)    # taken up once every run has started
    pool.shutdown(wait=False)
    return ContractGrading(contracts, Grading.start(built, batches, scratch / "grading.log"),
                           ForkedGrading.start(cut, scratch / "forked.log"), runs, handins, scratch, grades)


def hand_in(built, runs, scratch, grades):
    """When the Colab runs have ended, start grading the zips they handed in (each lab's in a
    gradebook <lab>-handin); returns that Grading, or None if no run handed one in."""
    batches = []
    for lab, run in runs:
        folder = run.result()
        if (folder / "handin.zip").is_file():
            handed_in = scratch / "handin" / lab
            handed_in.mkdir(parents=True)
            shutil.copy(folder / "handin.zip", handed_in / "handin.zip")
            batches.append((lab, str(handed_in), str(grades / f"{lab}-handin")))
    return Grading.start(built, batches, scratch / "grading-handins.log") if batches else None


@pytest.fixture(scope="session")
def contract(built, cache_dir, colab_kernel, tmp_path_factory):
    """{lab: LabContract}: every lab's solved notebook run as a student runs it in Colab (two at a
    time) while the contract's submissions are graded; then the zips those runs handed in are
    graded too, all started with `built`. Runs and gradebooks are cached by content.

    (Plain Jupyter's grader.submit() is Otter's own export, the same for every lab:
    test_student_install.py and test_browser.py hand in lab 01 that way.)"""
    if built.contract_grading is None:      # asked for only now (getfixturevalue): start it here
        built.contract_grading = start_contract(built, cache_dir, tmp_path_factory.mktemp("contract"), colab_kernel)
    started = built.contract_grading
    contracts = started.contracts
    for lab, run in started.runs:
        contracts[lab].colab_run = nbformat.read(run.result() / "executed.ipynb", as_version=4)
    gradings = [started.grading, *filter(None, [started.handins.result()])]
    try:
        for grading in gradings:
            grading.wait()
    finally:
        for grading in gradings[1:]:
            grading.stop()
    started.forked.wait()
    for grading in [*gradings, started.forked]:
        for lab, results in grading.results().items():
            contracts[lab].results.update(results)
    return contracts
