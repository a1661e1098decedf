"""What runs inside a student notebook: the grader its first cell starts, and the hand-in.

The first cell (authoring/first_cell.py) installs what is missing, then start_lab() points Otter
at the lab's public tests, which ship inside this package (rnncourse/lab_tests/<lab>/), so
grader.check works with no file beside the notebook.
"""

import os
import re
from importlib import resources
from pathlib import Path

GRADING_ENV = "RNNCOURSE_GRADING"   # set in a grading kernel (grading/grader.py): the tests run elsewhere


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


SAVE_BY_HAND = ("Could not read this notebook from Colab ({why}). Hand it in by hand: File > Download > "
                "Download .ipynb, and hand in that file.")


def colab_hand_in(grader, lab_name):
    """grader.submit() in Colab, where Otter cannot export: run the public checks in this kernel, zip
    the notebook as the Colab page holds it (the zip plain Jupyter writes), and download the zip.

    Returns the zip's path, or None when the notebook could not be read (the student is told what
    to download instead).
    """
    import datetime

    import nbformat
    from IPython import get_ipython

    namespace = get_ipython().user_ns
    questions = sorted(p.stem for p in Path(grader._tests_dir).glob("*.py") if p.stem != "__init__")
    failing = [q for q in questions if not grader.check(q, namespace).passed_all]
    print(f"Public checks: {len(questions) - len(failing)} of {len(questions)} questions pass"
          + (f" (not yet: {', '.join(failing)})." if failing else "."))
    try:
        from google.colab import _message
        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=120)
        notebook = nbformat.from_dict(reply["ipynb"])
    except Exception as e:           # a timeout answers None; an old front end may answer otherwise
        print(SAVE_BY_HAND.format(why=f"{type(e).__name__}: {e}"))
        return None
    nb_path = f"{lab_name}.ipynb"
    nbformat.write(notebook, nb_path)
    zip_path = f"{lab_name}_{datetime.datetime.now():%Y_%m_%dT%H_%M_%S_%f}.zip"
    # Otter refuses to export under Colab only because it cannot find the notebook on disk; it is
    # there now, so export as plain Jupyter does (the public checks already ran above).
    colab, grader.interpreter = grader.interpreter, None
    try:
        grader.export(nb_path, export_path=zip_path, pdf=False, run_tests=False, display_link=False)
    finally:
        grader.interpreter = colab
    print(f"Wrote {zip_path}: hand in this file.")
    try:
        from google.colab import files
        files.download(zip_path)
    except Exception:
        print(f"The download did not start: open the Files panel (the folder icon on the left), "
              f"right-click {zip_path} and choose Download.")
    return zip_path


# Otter checks a hand-in by grading it in a new process and shows all that process's stderr as one
# warning. Two things in it are the kernel's own and only alarm a student: ipykernel's note about
# its local TCP sockets, and, now and then, the traceback of a messaging socket that closed under
# the kernel as it shut down. Anything else (a real problem) is still shown.
KERNEL_NOISE = re.compile(
    r"\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption\.[^\n]*\n*"
    r"|ERROR:tornado\.general:Uncaught exception in ZMQStream callback\nTraceback \(most recent call last\):\n"
    r"(?:[ \t][^\n]*\n)*zmq\.error\.ZMQError: [^\n]*\n*")


def without_kernel_noise(stderr):
    """The stderr of Otter's checking process less the kernel's harmless notes ("" if nothing else)."""
    return KERNEL_NOISE.sub("", stderr).strip()


class GradingStandIn:
    """The notebook's grader in a grading kernel: its checks do nothing there, because the grader
    runs every test itself, outside the kernel (rnncourse/course/grading/judge.py)."""

    def __init__(self, lab_name):
        self.lab_name = lab_name

    def check(self, question, global_env=None):
        return None

    def check_all(self):
        return None

    def submit(self):
        return None

    def export(self, *args, **kwargs):
        return None


def start_lab(lab_name):
    """An Otter grader for lab `lab_name` that works in Colab, Deepnote and Jupyter alike (and does
    nothing in a grading kernel)."""
    import warnings

    if os.environ.get(GRADING_ENV):
        return GradingStandIn(lab_name)

    import otter

    class LabGrader(otter.Notebook):
        """otter.Notebook with submit(): the zip to hand in, in Jupyter as in Colab."""

        def submit(self):
            if type(self)._grading_mode:
                return None
            if in_colab():
                colab_hand_in(self, lab_name)       # it says what it wrote; no path echoed as Out[]
                return None
            with warnings.catch_warnings(record=True) as caught:
                exported = self.export(pdf=False, run_tests=True)
            for w in caught:
                message = without_kernel_noise(str(w.message)) if w.category is RuntimeWarning else w.message
                if message:
                    warnings.warn_explicit(message, w.category, w.filename, w.lineno)
            return exported

    return LabGrader(tests_dir=str(public_tests_dir(lab_name)))
