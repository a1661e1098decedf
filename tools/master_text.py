"""Edit a master notebook as text: convert solutions/NN-name.ipynb to a py:percent file and back.

    .venv/bin/python tools/master_text.py to-text solutions/01-forward.ipynb /tmp/01-forward.py
    (edit /tmp/01-forward.py: cells start with `# %%`, `# %% [markdown]` or `# %% [raw]`)
    .venv/bin/python tools/master_text.py to-notebook /tmp/01-forward.py solutions/01-forward.ipynb

Masters carry no outputs (the tests are exception-based), so nothing is lost on the way; the
notebook written back gets the course's stable cell ids (m000, m001, ...) and metadata, so git
shows only the cells that changed. jupytext comes with Otter.
"""

import sys

import jupytext
import nbformat

METADATA = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}


def to_text(notebook, text):
    jupytext.write(jupytext.read(notebook), text, fmt="py:percent")


def to_notebook(text, notebook):
    nb = jupytext.read(text, fmt="py:percent")
    for i, cell in enumerate(nb.cells):
        cell.id = f"m{i:03d}"
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = METADATA
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.write(nb, notebook)


if __name__ == "__main__":
    commands = {"to-text": to_text, "to-notebook": to_notebook}
    if len(sys.argv) != 4 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2], sys.argv[3])
