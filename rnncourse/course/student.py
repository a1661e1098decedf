"""What runs inside a student notebook: its first cell, and the grader it starts.

The build writes SETUP_CELL (filled in from solutions/course.yml) as the first code cell of every
lab. In Colab, Deepnote or a bare Jupyter it installs what is missing, then start_lab() points
Otter at the lab's public tests, which ship inside this package (rnncourse/lab_tests/<lab>/), so
grader.check works with no file beside the notebook. During grading Otter overrides the tests
folder with the autograder's own, hidden tests included.
"""

from importlib import resources
from pathlib import Path

from .settings import otter_requirement

SETUP_CELL = '''\
# Run this cell first. It installs what this lab needs (if missing) and starts the autograder.
import importlib.util, subprocess, sys
_needs = {needs!r}
_missing = [spec for module, spec in _needs.items() if importlib.util.find_spec(module) is None]
if _missing:
    print("Installing", ", ".join(_missing), "...")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *_missing], check=True)
import rnncourse
grader = rnncourse.start_lab({lab!r})'''


def setup_cell_source(lab_name, settings):
    """The first cell of lab `lab_name`, given the CourseSettings (solutions/course.yml)."""
    needs = {"otter": otter_requirement(), "torchviz": "torchviz", "rnncourse": settings.package_source,
             **settings.extra_packages}
    return SETUP_CELL.format(needs=needs, lab=lab_name)


def public_tests_dir(lab_name):
    """The folder of public tests for a lab, shipped in the package."""
    folder = Path(str(resources.files("rnncourse") / "lab_tests" / lab_name))
    if not folder.is_dir():
        shipped = sorted(p.name for p in folder.parent.iterdir() if p.is_dir()) if folder.parent.is_dir() else []
        raise FileNotFoundError(f"rnncourse has no tests for lab {lab_name!r} (it has: "
                                f"{', '.join(shipped) or 'none'}). Update the package: pip install -U the "
                                "course's rnncourse.")
    return folder


def in_colab():
    try:
        return "google.colab" in str(get_ipython())
    except NameError:
        return False


def start_lab(lab_name):
    """An Otter grader for lab `lab_name` that works in Colab, Deepnote and Jupyter alike."""
    import otter

    class LabGrader(otter.Notebook):
        """otter.Notebook with submit(): a zip to hand in where Otter can export, advice where not."""

        def submit(self):
            if type(self)._grading_mode:
                return None
            if in_colab():
                print("In Colab: File > Download > Download .ipynb, then hand in that notebook.\n"
                      "Your checks above already ran; grader.check_all() runs every public test again.")
                return None
            return self.export(pdf=False, run_tests=True)

    return LabGrader(tests_dir=str(public_tests_dir(lab_name)))
