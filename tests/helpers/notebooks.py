"""Notebooks in tests: running one as a student does (in Jupyter or simulated Colab), and reading
what its cells showed."""

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

COLAB = Path(__file__).parents[1] / "colab"  # a stand-in for google.colab, so that Otter takes its Colab path
COLAB_PAGE = ".colab-page.ipynb"            # the notebook as the Colab page holds it (colab/google/colab/_message.py)
RUN_TIMEOUT = 300                           # seconds per cell when a notebook is run as a student runs it


def kernel_argv(python, colab=False):
    """The command of a Python kernel; colab=True gives it Colab's shell (with COLAB on PYTHONPATH)."""
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return argv + ["--IPKernelApp.kernel_class=colab_kernel.ColabKernel"] if colab else argv


def run_notebook(notebook, folder, kernel, name=None, colab=False):
    """Execute `notebook` in the empty `folder`, top to bottom, errors kept in the outputs; returns
    the executed notebook.

    In Jupyter the notebook lies in the folder as a file (as `name`). In Colab no notebook is on
    disk: the Colab stand-in reads it from the page, which `colab=True` writes as its hidden file.
    """
    folder.mkdir(parents=True)
    copy = folder / (COLAB_PAGE if colab else name or notebook.name)
    shutil.copy(notebook, copy)
    nb = nbformat.read(copy, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=RUN_TIMEOUT, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def first_code_cell(nb):
    """The notebook's first code cell: the course's set-up cell in a student notebook (below its header)."""
    return next(cell for cell in nb.cells if cell.cell_type == "code")


def has_error(cell):
    return any(o.output_type == "error" for o in cell.get("outputs", []))


def cell_text(cell):
    """Everything a code cell showed: streams, plain-text results, and an error's name and value."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or "".join(out.get("data", {}).get("text/plain", "")))
        if out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def check_cells(nb):
    """{question: what its grader.check("question") cell showed}."""
    return {c.source.split('"')[1]: cell_text(c) for c in nb.cells
            if c.cell_type == "code" and c.source.startswith("grader.check(")}


def submit_text(nb):
    """What the grader.submit() cell showed."""
    return cell_text(next(c for c in nb.cells if c.cell_type == "code" and c.source == "grader.submit()"))
