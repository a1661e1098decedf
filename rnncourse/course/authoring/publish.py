"""`rnncourse publish DEST`: the students' course, written into DEST, meant to be its own public repository.

DEST gets exactly:

    README.md              the syllabus: labs, objectives, time, prerequisites, due dates, how to start
    LICENSE                this course's licence
    ATTRIBUTION.md         the sources the labs adapt and the terms they state
    labs/NN-name.ipynb     the student notebooks, as `rnncourse build` made them
    docs/                  the course site (site.py), where GitHub Pages can serve it
    dist/rnncourse-<version>-py3-none-any.whl
                           with --wheel only: the package; every first cell installs it from DEST's
                           raw-file URL, so no package index is needed
    .rnncourse-publish.json  what publish wrote (path -> SHA-256), so the next run updates in place

and nothing else: no master, hidden test, fixture, rubric or instructor note. Before anything is
written, every file that DEST would hold (its own files left by others too, .git aside) is checked
against every secret of the course (leaks.course_secrets); a finding stops the command, naming the
file and the line. Running it again updates DEST in place, prints what changed and leaves .git
alone; `--check` only checks an existing DEST.
"""

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from ..files import shown
from .first_cell import setup_cell_source
from .labs import find_labs
from .leaks import course_secrets, readable_texts, scan, scan_folder
from .settings import COURSE_FILE, CourseSettings, package_version
from .site import build_site
from .syllabus import attribution_markdown, lab_header, read_syllabus, syllabus_markdown

MANIFEST = ".rnncourse-publish.json"
SHOWN_FINDINGS = 20


class PublishError(Exception):
    """The course cannot be published as it is; the message says what and how to fix it."""


def wheel_url(settings):
    """The raw-file URL of the published wheel in the student repository (GitHub's documented form,
    raw.githubusercontent.com/<owner>/<repo>/<branch>/<path>)."""
    return (f"https://raw.githubusercontent.com/{settings.repository}/{settings.branch}/"
            f"dist/rnncourse-{package_version()}-py3-none-any.whl")


def student_readme(settings, infos, wheel):
    title = settings.title or "Labs"
    lines = [f"# {title}", ""]
    if settings.term:
        lines += [f"*{settings.term}*", ""]
    lines += [
        "Each lab is a Jupyter notebook in `labs/`. Open it in Colab or Deepnote with its badge below, or",
        "download it and run it in your own Jupyter. Run its first cell before anything else: it installs the",
        "course package and starts the checks. Under each question, `grader.check(\"name\")` runs that",
        "question's public tests; your mark comes from hidden tests that try your answers on other inputs.",
        "The course site, with every lab and how to hand in, is in `docs/` (open `docs/index.html`, or",
        "its GitHub Pages address).", "", "## Labs", "",
        syllabus_markdown(infos, settings, lambda name: f"labs/{name}.ipynb"),
        "## Handing in", "",
        "Save the notebook, then run its last cell, `grader.submit()`. It writes a zip named after the lab",
        "and the time (in Colab its download starts by itself); hand in that zip, and nothing else.", "",
        "## On your own computer", "",
        "With Python 3.10 or newer:", "", "```bash",
        "python3 -m venv rnn && . rnn/bin/activate",
        f'pip install "rnncourse[lab] @ {wheel_url(settings)}"' if wheel else
        f'pip install "rnncourse[lab]=={package_version()}"',
        "jupyter lab labs/", "```", "",
        "## Licence", "",
        f"The course is under the {settings.licence} licence (LICENSE); ATTRIBUTION.md names the sources",
        "its labs adapt and the terms those state.", ""]
    return "\n".join(lines)


def student_notebooks(root, labs, infos, settings, wheel):
    """{lab name: notebook JSON} to publish: labs/ as built, checked to be built with today's
    course.yml; with `wheel`, first cells that install the published wheel."""
    published = dataclasses.replace(settings, package_source=f"rnncourse @ {wheel_url(settings)}") \
        if wheel else settings
    notebooks = {}
    for lab, info in zip(labs, infos):
        path = Path(root) / "labs" / f"{lab.name}.ipynb"
        if not path.is_file():
            raise PublishError(f"{shown(path)} is missing: run `rnncourse build` first.")
        nb = nbformat.read(path, as_version=4)
        if (len(nb.cells) < 2 or nb.cells[0].source.strip() != lab_header(info, settings).strip()
                or nb.cells[1].source != setup_cell_source(lab.name, settings)):
            raise PublishError(f"{shown(path)} was built from another solutions/course.yml or rnncourse "
                               f"(its header or first cell differs): run `rnncourse build {lab.number}` first.")
        nb.cells[1].source = setup_cell_source(lab.name, published)
        notebooks[lab.name] = nbformat.writes(nb) + "\n"
    return notebooks


def build_wheel(root, out):
    """The course package's wheel, built from the checkout without build isolation (which would
    download setuptools)."""
    result = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                             str(root)], capture_output=True, text=True)
    wheels = list(Path(out).glob("rnncourse-*.whl"))
    if result.returncode or not wheels:
        raise PublishError(f"building the wheel failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return wheels[0]


def stage(root, folder, labs, wheel, log):
    """Write the published course of `labs` (every lab of the course) into the empty `folder`."""
    settings = CourseSettings.read(root)
    if wheel and not settings.repository:
        raise PublishError(f"--wheel needs the student repository in {COURSE_FILE} (repository: owner/name): "
                           "the first cells install the wheel from it.")
    infos, warnings = read_syllabus(labs, settings)
    for warning in warnings:
        log(f"warning: {warning}")
    licence = Path(root) / "LICENSE"
    if not licence.is_file():
        raise PublishError(f"{shown(licence)} is missing: add the licence the course is published under.")
    (folder / "labs").mkdir(parents=True)
    for name, text in student_notebooks(root, labs, infos, settings, wheel).items():
        (folder / "labs" / f"{name}.ipynb").write_text(text, encoding="utf-8")
    (folder / "README.md").write_text(student_readme(settings, infos, wheel), encoding="utf-8")
    (folder / "ATTRIBUTION.md").write_text(attribution_markdown(settings), encoding="utf-8")
    shutil.copy(licence, folder / "LICENSE")
    log("building the course site ...")
    build_site({lab.name: folder / "labs" / f"{lab.name}.ipynb" for lab in labs}, labs, infos, settings,
               folder / "docs")
    if wheel:
        log("building the wheel ...")
        (folder / "dist").mkdir()
        with tempfile.TemporaryDirectory(prefix="rnncourse-wheel-") as out:
            shutil.copy(build_wheel(root, Path(out)), folder / "dist")


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files_under(folder):
    """{relative path: absolute path} of every file under `folder` but .git and the manifest."""
    return {p.relative_to(folder).as_posix(): p for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(folder).parts and p.name != MANIFEST}


def read_manifest(dest):
    path = Path(dest) / MANIFEST
    return json.loads(path.read_text())["files"] if path.is_file() else {}


def leak_report(findings):
    more = len(findings) - SHOWN_FINDINGS
    return "\n".join(f"  {f}" for f in findings[:SHOWN_FINDINGS]) + (f"\n  ... and {more} more" if more > 0 else "")


def publish(root, dest, wheel=False, log=print):
    """Publish the course at `root` into `dest`; returns {"added": [...], "changed": [...], "removed": [...]}.
    Raises PublishError (nothing in DEST changed) when a file would leak a secret."""
    root, dest = Path(root).resolve(), Path(dest).resolve()
    if dest == root or dest.is_relative_to(root) or root.is_relative_to(dest):
        raise PublishError(f"DEST {dest} overlaps the course checkout {root}: publish into a folder of its own "
                           "(the student repository's clone).")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"DEST {dest} is a file; give a folder.")
    old = read_manifest(dest)
    # What others put in DEST is published too: checked first, before the slow part.
    others = {path: file for path, file in (files_under(dest) if dest.exists() else {}).items() if path not in old}
    labs = find_labs(root)
    secrets = course_secrets(root, labs)
    findings = [f for path, file in others.items() for where, text in readable_texts(path, file.read_bytes())
                for f in scan(where, text, secrets)]
    if findings:
        raise PublishError(f"Nothing was published: files in {shown(dest)} that publish did not write hold "
                           f"{len(findings)} secret(s) of the course:\n{leak_report(findings)}")
    with tempfile.TemporaryDirectory(prefix="rnncourse-publish-") as scratch:
        staged = Path(scratch) / "course"
        stage(root, staged, labs, wheel, log)
        new = files_under(staged)
        findings = scan_folder(staged, secrets)
        if findings:
            raise PublishError(f"Nothing was published: {len(findings)} secret(s) would reach students:\n"
                               f"{leak_report(findings)}")
        changes = {"added": [], "changed": [], "removed": []}
        for path, file in new.items():
            target = dest / path
            if target.is_file() and digest(target) == digest(file):
                continue
            changes["changed" if target.exists() else "added"].append(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        for path in sorted(set(old) - set(new)):
            if (dest / path).is_file():
                (dest / path).unlink()
                changes["removed"].append(path)
        for folder in sorted({(dest / p).parent for p in changes["removed"]}, key=lambda f: -len(f.parts)):
            while folder != dest and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        manifest = {"rnncourse": package_version(), "files": {path: digest(file) for path, file in new.items()}}
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    for kind in ("added", "changed", "removed"):
        for path in changes[kind]:
            log(f"{kind:>8} {path}")
    unchanged = len(new) - len(changes["added"]) - len(changes["changed"])
    log(f"Published {len(labs)} labs into {shown(dest)}: {len(changes['added'])} added, {len(changes['changed'])} "
        f"changed, {len(changes['removed'])} removed, {unchanged} unchanged. No secret found in any file.")
    return changes


def check(root, dest, log=print):
    """Check an existing DEST for secrets of the course at `root`; returns the findings (also logged)
    and says which published files were edited since."""
    dest = Path(dest)
    if not dest.is_dir():
        raise PublishError(f"{dest} is not a folder: give the published course to check.")
    findings = scan_folder(dest, course_secrets(root, find_labs(root)))
    edited = [path for path, sha in read_manifest(dest).items()
              if not (dest / path).is_file() or digest(dest / path) != sha]
    for path in edited:
        log(f"note: {path} is not as publish wrote it (edited or removed since)")
    if findings:
        log(f"{len(findings)} secret(s) found in {shown(dest)}:\n{leak_report(findings)}")
    else:
        log(f"No secret found in {len(files_under(dest))} files under {shown(dest)}.")
    return findings
