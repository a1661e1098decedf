"""The first code cell of every student notebook: install what is missing, then start the grader.

The build writes it (filled in from solutions/course.yml) after the ASSIGNMENT CONFIG. In Colab,
Deepnote or a bare Jupyter it installs the course package the lab was built with (and Otter,
torchviz and the course's extra packages when missing), then calls rnncourse.start_lab
(kernel/student.py).
"""

from .settings import otter_requirement, package_version

SETUP_CELL = '''\
# Run this cell first. It installs the course package this lab was built with (and anything else
# missing), then starts the autograder.
import importlib.metadata, importlib.util, subprocess, sys
_lab_version, _source = {version!r}, {source!r}
_needs = {needs!r}
_install = [spec for module, spec in _needs.items() if importlib.util.find_spec(module) is None]
try:
    _installed = importlib.metadata.version("rnncourse")
except importlib.metadata.PackageNotFoundError:
    _installed = None
if _installed != _lab_version:
    _install.insert(0, _source)
if _install:
    print("Installing", ", ".join(_install), "...")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--upgrade", *_install], check=True)
    if "rnncourse" in sys.modules:     # the old one is loaded: only a new process loads the new one
        import warnings; warnings.filterwarnings("ignore", "To exit")   # IPython's advice on SystemExit
        raise SystemExit(f"rnncourse {{_installed}} was replaced by {{_lab_version}}: restart the runtime "
                         "(Runtime > Restart session, or Kernel > Restart) and run this cell again.")
import rnncourse
grader = rnncourse.start_lab({lab!r})'''


def setup_cell_source(lab_name, settings):
    """The first cell of lab `lab_name`, given the CourseSettings (solutions/course.yml): it installs
    settings.package_source unless this very version of rnncourse is there already."""
    needs = {"otter": otter_requirement(), "torchviz": "torchviz", **settings.extra_packages}
    return SETUP_CELL.format(version=package_version(), source=settings.package_source, needs=needs,
                             lab=lab_name)
