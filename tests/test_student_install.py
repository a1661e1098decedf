"""What a student's first cell installs, for real, offline: the release built from this checkout,
or the wheel of the published course.

`python -m build` makes the wheel and sdist that would go to the Python package index. A fresh
virtual environment gets what Colab brings (torch, numpy, Jupyter's kernel: every package of the
development environment) but neither rnncourse nor Otter; pip in it reads only local folders (Otter's
wheel that tools/setup.sh fetched, and for the index the release's folder), as it would read the
package index. Lab 01, solved, then runs from its first cell to grader.submit() twice: under the
simulated Colab kernel with the release from the "index", and under a plain kernel from the course
that `rnncourse publish --wheel` wrote, its first cell installing DEST's wheel (the raw-file URL
replaced by the wheel's file:// URL), in a folder outside any checkout. `rnncourse grade` grades
both zips at full marks.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import tomllib

from helpers.notebooks import (
    COLAB,
    cell_text,
    check_cells,
    first_code_cell,
    has_error,
    kernel_argv,
    run_notebook,
    submit_text,
)

REPO = Path(__file__).resolve().parents[1]
LAB = "01-forward"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
OTTER = next(line.split("==")[1].strip() for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.startswith("otter-grader"))       # the release requirements.txt pins
OTTER_WHEELS = REPO / ".venv" / "wheels"        # tools/setup.sh puts Otter's wheel here
DEV_SITE = Path(sysconfig.get_paths()["purelib"])

pytestmark = pytest.mark.slow


def python_of(venv):
    return venv / "bin" / "python"


def pip(venv, *args):
    """pip of the development environment, installing into `venv`, offline."""
    return subprocess.run([sys.executable, "-m", "pip", "--python", python_of(venv), "install", "-q",
                           "--disable-pip-version-check", "--no-index", *args],
                          check=True, capture_output=True, text=True)


def in_venv(venv, code):
    """What `code` prints when run by the venv's Python (in the venv's folder: from the checkout,
    `import rnncourse` would find the checkout's own)."""
    return subprocess.run([python_of(venv), "-c", code], cwd=venv, check=True, capture_output=True, text=True).stdout


def build_release(source, out):
    """`python -m build` of the tree at `source` into `out`: (wheel, sdist). No build isolation, as
    isolation would download setuptools."""
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, text=True)
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


@pytest.fixture(scope="session")
def release(tmp_path_factory):
    return build_release(REPO, tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="session")
def older_release(tmp_path_factory):
    """The wheel of an older release, 0.0.9: this checkout with its version set back."""
    tree = tmp_path_factory.mktemp("older")
    for name in ("pyproject.toml", "README.md", "requirements.txt", "MANIFEST.in"):
        shutil.copy(REPO / name, tree / name)
    shutil.copytree(REPO / "rnncourse", tree / "rnncourse", ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f'version = "{VERSION}"', 'version = "0.0.9"'))
    return build_release(tree, tmp_path_factory.mktemp("older-release"))[0]


def colab_like_venv(folder):
    """A virtual environment with every package of the development one but rnncourse and Otter.

    Its files are hard links to the development environment's (copies where a link cannot be made):
    quick to make, and pip replacing or removing a file here leaves the original alone.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = Path(subprocess.run([python_of(folder), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())

    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for entry in DEV_SITE.iterdir():
        if re.match(r"(rnncourse|__editable__|otter)", entry.name, re.I):
            continue
        if entry.is_dir():
            shutil.copytree(entry, site / entry.name, copy_function=link, symlinks=True)
        else:
            link(entry, site / entry.name)
    return folder


def first_cell_kernel(kernels, venv, folders, colab):
    """A kernel of `venv` whose pip reads only `folders` (the stand-in for the package index) and Otter's wheels."""
    if not any(OTTER_WHEELS.glob("otter_grader-*.whl")):
        pytest.skip(f"no Otter wheel in {OTTER_WHEELS}: run tools/setup.sh (it fetches one)")
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": " ".join(str(f) for f in [*folders, OTTER_WHEELS]),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if colab:
        env["PYTHONPATH"] = str(COLAB)
    return kernels(f"fresh-{venv.name}", kernel_argv(python_of(venv), colab=colab), env)


def test_the_release_carries_every_labs_public_tests_and_installs_offline(release, tmp_path):
    """The wheel and the sdist hold every lab's public tests as labs/ was built with them; the wheel
    installs into an empty environment from a local file, tests included, with Otter's pin."""
    wheel, sdist = release
    assert wheel.name == f"rnncourse-{VERSION}-py3-none-any.whl" and sdist.name == f"rnncourse-{VERSION}.tar.gz"
    tests = (REPO / "rnncourse" / "lab_tests").glob("*/*.py")
    shipped = {p.relative_to(REPO).as_posix(): p.read_bytes() for p in tests}
    labs = {p.stem for p in (REPO / "labs").glob("*.ipynb")}
    assert {path.split("/")[2] for path in shipped} == labs, "a lab in labs/ has no public tests to ship"
    with zipfile.ZipFile(wheel) as zf:
        for path, data in shipped.items():
            assert zf.read(path) == data, f"{path} differs in the wheel"
        metadata = zf.read(f"rnncourse-{VERSION}.dist-info/METADATA").decode()
    assert re.search(r"^Requires-Dist: otter-grader\[grading\]==7\.0\.0$", metadata, re.M), metadata
    with tarfile.open(sdist) as tf:
        names = set(tf.getnames())
    root = f"rnncourse-{VERSION}"
    assert {f"{root}/{path}" for path in shipped} | {f"{root}/requirements.txt"} <= names

    venv = tmp_path / "empty"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip(venv, "--no-deps", str(wheel))
    found = json.loads(in_venv(venv, "import json, rnncourse; from importlib.resources import files; "
                                     "print(json.dumps([rnncourse.__version__, sorted(f'{d.name}/{t.name}' for d in "
                                     "(files('rnncourse') / 'lab_tests').iterdir() if d.is_dir() for t in d.iterdir() "
                                     "if t.name.endswith('.py'))]))"))
    assert found == [VERSION, sorted(path.split("/", 2)[2] for path in shipped)]


def from_published(solved, dest, out):
    """The solved notebook with the first cell of DEST's notebook, its wheel's raw-file URL turned
    into the file:// URL of DEST's copy, written to `out`; and that URL."""
    nb = nbformat.read(solved, as_version=4)
    published = nbformat.read(dest / "labs" / f"{LAB}.ipynb", as_version=4)
    wheel = dest / "dist" / f"rnncourse-{VERSION}-py3-none-any.whl"
    source = re.sub(r"https://raw\.githubusercontent\.com/\S+?\.whl", wheel.as_uri(), published.cells[1].source)
    assert wheel.as_uri() in source, published.cells[1].source
    first_code_cell(nb).source = source
    nbformat.write(nb, out)
    return wheel.as_uri()


@pytest.fixture(scope="session")
def installed_runs(built, release, published, kernels, tmp_path_factory):
    """Lab 01, solved, run in a fresh Colab-like environment from its first cell to its last: under the
    simulated Colab kernel with the release from the package index ("colab"), and under a plain kernel
    from the published course alone ("published"). {kind: (venv, folder, nb)}."""
    def install_and_run(kind):
        venv = colab_like_venv(tmp_path_factory.mktemp(f"venv-{kind}") / kind)
        folder = tmp_path_factory.mktemp(f"student-{kind}") / "work"
        if kind == "colab":
            kernel = first_cell_kernel(kernels, venv, [release[0].parent], colab=True)
            return venv, folder, run_notebook(built.solved_notebook(LAB), folder, kernel, colab=True)
        kernel = first_cell_kernel(kernels, venv, [], colab=False)
        notebook = tmp_path_factory.mktemp("from-published") / f"{LAB}.ipynb"
        from_published(built.solved_notebook(LAB), published[1], notebook)
        return venv, folder, run_notebook(notebook, folder, kernel)

    kinds = ("published", "colab")
    with ThreadPoolExecutor(len(kinds)) as pool:       # two students at once: one mostly waits on pip
        return dict(zip(kinds, pool.map(install_and_run, kinds)))


@pytest.mark.parametrize("kind", ["published", "colab"])
def test_first_cell_installs_from_nothing_and_the_lab_runs(installed_runs, published, kind):
    venv, folder, nb = installed_runs[kind]
    first = cell_text(nb.cells[next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")])
    source = f"rnncourse=={VERSION}" if kind == "colab" else \
        f"rnncourse @ {(published[1] / 'dist' / f'rnncourse-{VERSION}-py3-none-any.whl').as_uri()}"
    assert f"Installing {source}, otter-grader[grading]=={OTTER} ..." in first, first
    errors = [(i, cell_text(c)) for i, c in enumerate(nb.cells) if has_error(c)]
    assert errors == [], f"cells raised after installing from nothing: {errors}"
    checks = check_cells(nb)
    assert checks and all("passed" in text.lower() for text in checks.values()), checks
    where = json.loads(in_venv(venv, "import json, rnncourse, otter; print(json.dumps([rnncourse.__version__, "
                                     "rnncourse.__file__, otter.__version__, otter.__file__]))"))
    assert where[0] == VERSION and where[2] == OTTER
    assert all(Path(path).is_relative_to(venv) for path in where[1::2]), f"not installed in the new venv: {where}"
    submitted = submit_text(nb)
    zips = list(folder.glob(f"{LAB}_*.zip"))
    assert len(zips) == 1, f"grader.submit() wrote {zips}:\n{submitted}"
    if kind == "colab":
        assert f"Wrote {zips[0].name}: hand in this file.\n[Colab stand-in] download started: {zips[0].name}" \
            in submitted, submitted
    else:
        assert "Your submission received the following results" in submitted, submitted


def test_the_zips_handed_in_grade_at_full_marks(installed_runs, built, tmp_path):
    """`rnncourse grade`, as a TA runs it, over the zips that grader.submit() wrote in Jupyter and
    in Colab."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for kind, (_, folder, _) in installed_runs.items():
        shutil.copy(next(folder.glob(f"{LAB}_*.zip")), submissions / f"{kind}.zip")
    out = tmp_path / "grades"
    result = subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "grade", LAB, str(submissions),
                             "--out", str(out)], cwd=built.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(rows) == {f"{kind}.zip" for kind in installed_runs}
    for row in rows.values():
        assert row["status"] == "graded" and float(row["total"]) == built.labs[LAB].points, row


def test_an_older_rnncourse_is_replaced_and_a_loaded_one_asks_for_a_restart(installed_runs, release, older_release,
                                                                            kernels, tmp_path):
    """With rnncourse 0.0.9 installed and already imported, the first cell installs this release and
    says in one line to restart; after the restart it starts the grader and installs nothing."""
    venv = installed_runs["published"][0]
    pip(venv, "--no-deps", str(older_release))
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(release[0].parent)}
    kernel = kernels("older", kernel_argv(python_of(venv)), offline)
    first_cell = first_code_cell(nbformat.read(REPO / "labs" / f"{LAB}.ipynb", as_version=4)).source
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import rnncourse\nprint(rnncourse.__version__)"),
                                         nbformat.v4.new_code_cell(first_cell)])
    nbformat.write(nb, tmp_path / "older.ipynb")
    before = run_notebook(tmp_path / "older.ipynb", tmp_path / "before", kernel)
    assert cell_text(before.cells[0]).strip() == "0.0.9"
    said = cell_text(before.cells[1])
    assert f"rnncourse 0.0.9 was replaced by {VERSION}: restart the runtime" in said, said
    assert "To exit" not in said, said       # IPython's advice on quitting would only confuse
    assert in_venv(venv, "import rnncourse; print(rnncourse.__version__)").strip() == VERSION

    nb.cells = [nbformat.v4.new_code_cell(first_cell), nbformat.v4.new_code_cell("print(type(grader).__name__)")]
    nbformat.write(nb, tmp_path / "restarted.ipynb")
    after = run_notebook(tmp_path / "restarted.ipynb", tmp_path / "after", kernel)
    assert cell_text(after.cells[0]) == "" and cell_text(after.cells[1]).strip() == "LabGrader"


def test_colab_hand_in_without_an_answer_from_the_page_says_what_to_download(colab_kernel, tmp_path):
    """When the Colab page does not send the notebook (a timeout answers None), grader.submit()
    writes no zip and tells the student to download the .ipynb by hand."""
    first_cell = first_code_cell(nbformat.read(REPO / "labs" / f"{LAB}.ipynb", as_version=4)).source
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(first_cell),
                                         nbformat.v4.new_code_cell("grader.submit()")])
    nbformat.write(nb, tmp_path / "lab.ipynb")
    ran = run_notebook(tmp_path / "lab.ipynb", tmp_path / "run", colab_kernel, name="not-the-page.ipynb")
    said = cell_text(ran.cells[1])
    assert "Public checks: 0 of 3 questions pass" in said, said
    assert "Could not read this notebook from Colab" in said and "File > Download > Download .ipynb" in said
    assert not list((tmp_path / "run").glob("*.zip"))
