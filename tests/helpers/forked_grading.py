"""The contract's cut submissions graded by forking: each lab's solved cells run once.

A wrong answer, a correct variant or a stub (conftest.contract_submissions) is the solved notebook
with one answer replaced and every cell after its question cut. Graded one by one, each would run
the lab's cells up to that answer again: most of the suite's time. Here one process per lab does
what Otter's grading does to a notebook (otter.execute: its grading-mode cell, the submission's
folder on sys.path, the code cells in order, errors allowed, then every test file not checked yet,
results collected as GradingResults), in an IPython shell of its own: it runs the solved
notebook's code cells in order and, where a submission's cells start to differ, forks. The child
runs that submission's remaining cells and Otter's final cell in a copy of the folder, and writes
the Result that `rnncourse grade` would write (processes.outcome_of), so LabContract reads both
alike. The solved, blank and handed-in notebooks still go through `rnncourse grade` itself.

    python tests/forked_grading.py AUTOGRADER_ZIP SUBMISSIONS_FOLDER RESULTS_FOLDER

writes RESULTS_FOLDER/results/<submission>.json and, last, RESULTS_FOLDER/done.
"""

import json
import os
import pickle
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from rnncourse.course.grading import linux
from rnncourse.course.grading.processes import stop_descendants
from rnncourse.course.grading.result import Result

TIMEOUT = float(os.environ.get("RNNCOURSE_FORKED_TIMEOUT", 300))   # seconds per submission, past its shared cells
OTTER_INIT = "from otter import Notebook\nNotebook.init_grading_mode({tests!r})"
OTTER_RESULTS = """from otter.execute import Checker
for test in {tests!r}:
    Checker.check_if_not_already_checked(test)
from otter.test_files import GradingResults
import pickle
with open({path!r}, "wb") as f:
    pickle.dump(GradingResults(Checker.get_results()), f)
"""


def code_cells(path):
    """The sources of a notebook's code cells, in order."""
    cells = json.loads(Path(path).read_text())["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "code"]


def shared_length(cells, solved):
    """How many leading code cells `cells` has in common with `solved`."""
    n = 0
    while n < min(len(cells), len(solved)) and cells[n] == solved[n]:
        n += 1
    return n


def grade_child(shell, cells, folder, tests, result_path):
    """In a forked child: run `cells` and Otter's final cell in a copy of `folder`; write the outcome."""
    from otter.test_files import GradingResults

    from rnncourse.course.grading.processes import outcome_of

    own = folder.parent / f"submission-{os.getpid()}"
    shutil.copytree(folder, own)
    os.chdir(own)
    try:
        for source in cells:
            shell.run_cell(source, store_history=True)
        pickled = own / "results.pkl"
        shell.run_cell(OTTER_RESULTS.format(tests=tests, path=str(pickled)), store_history=True)
        try:
            results = pickle.loads(pickled.read_bytes())
        except Exception as e:      # as otter.execute does when the final cell could not write them
            results = GradingResults.without_results(e)
        Path(result_path).write_text(outcome_of(results).to_json())
    finally:
        os.chdir(folder.parent)
        shutil.rmtree(own, ignore_errors=True)


def wait_for(pid, started, result_path, submission):
    """Reap the child, stopping it at TIMEOUT; stop everything it started (orphans come to this
    process, a subreaper); make sure a result file says what happened."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > TIMEOUT:
            stop_descendants(os.getpid())
            os.waitpid(pid, 0)
            result_path.write_text(Result("timeout", f"over {TIMEOUT} s").to_json())
            break
        time.sleep(0.01)
    stop_descendants(os.getpid())
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:       # the orphans just stopped, adopted by this process
            pass
    except ChildProcessError:
        pass
    if not result_path.is_file():
        result_path.write_text(Result("error", f"the child ended with status {status}").to_json())
    result = Result.from_json(result_path.read_text())
    result_path.write_text(result.but(submission=submission, seconds=round(time.monotonic() - started, 2)).to_json())


def main(autograder_zip, submissions, out):
    with tempfile.TemporaryDirectory(prefix="rnncourse-forked-") as scratch:
        grade_lab(autograder_zip, submissions, Path(out), Path(scratch))


def grade_lab(autograder_zip, submissions, out, scratch):
    """Grade every notebook in `submissions` into out/results, working in `scratch`."""
    os.environ.update({"MPLBACKEND": "agg", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                       "IPYTHONDIR": str(scratch / "ipython"), "TMPDIR": str(scratch)})
    tempfile.tempdir = str(scratch)
    linux.adopt_orphans()
    (out / "results").mkdir(parents=True, exist_ok=True)
    folder = scratch / "submission"
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(folder)
    os.chdir(folder)
    lab = Path(autograder_zip).parent           # dist/<lab>: the build's solved notebook is beside the zip
    solved = code_cells(lab / "autograder" / f"{lab.name}.ipynb")
    tests = sorted(f"./tests/{p.name}" for p in (folder / "tests").glob("*.py"))
    todo = []
    for path in Path(submissions).glob("*.ipynb"):
        cells = code_cells(path)
        todo.append((shared_length(cells, solved), path.name, cells))
    todo.sort()         # by the cells shared with the solved notebook: each prefix runs once

    import tqdm
    tqdm.tqdm.monitor_interval = 0     # no monitor thread in a process that forks
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    # Cells are kept in In and _ih, as in a kernel (hidden tests read them), but in memory only.
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    import torch
    torch.set_num_threads(1)
    shell.run_cell(OTTER_INIT.format(tests="./tests"), store_history=True)
    shell.run_cell(f"import sys\nsys.path.append({str(folder)!r})", store_history=True)   # as Otter does
    ran = 0
    for shared, name, cells in todo:
        while ran < shared:
            shell.run_cell(solved[ran], store_history=True)
            ran += 1
        result_path = out / "results" / f"{name}.json"
        result_path.unlink(missing_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                grade_child(shell, cells[shared:], folder, tests, result_path)
                code = 0
            finally:
                os._exit(code)
        wait_for(pid, started, result_path, name)
    (out / "done").write_text("")


if __name__ == "__main__":
    main(*sys.argv[1:])
