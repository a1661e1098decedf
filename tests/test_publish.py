"""`rnncourse publish`: the students' course holds exactly the documented files and none of the
answers, updates in place, and refuses (naming the file and the line) whatever would leak.

The site it builds is looked at in a browser by test_site.py; a student installing from it alone
by test_student_install.py.
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml

from rnncourse.course.authoring.labs import find_labs, lab_names, read_lab
from rnncourse.course.authoring.settings import CourseSettings, SettingsError
from rnncourse.course.authoring.site import math_to_mathml
from rnncourse.course.authoring.syllabus import colab_url, deepnote_url, lab_header, read_syllabus

from helpers.cache import REPO
from helpers.command import rnncourse

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
WHEEL = f"rnncourse-{VERSION}-py3-none-any.whl"
LABS = lab_names(REPO)
SETTINGS = CourseSettings.read(REPO)
FIRST_LAB = [read_lab(REPO / "solutions" / "01-forward.ipynb")]


def settings_with(values, folder):
    """The CourseSettings of a course.yml holding `values`, written under `folder`."""
    (folder / "solutions").mkdir()
    (folder / "solutions" / "course.yml").write_text(yaml.safe_dump(values))
    return CourseSettings.read(folder)


def files(folder):
    """{relative path: SHA-256} of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def hidden_test_line(lab):
    """A line of a hidden test of `lab`'s master, long enough to count as a secret."""
    nb = nbformat.read(REPO / "solutions" / f"{lab}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and re.match(r"\s*#.*\bhidden\b", cell.source, re.I):
            lines = [line.strip() for line in cell.source.splitlines() if len(line.strip()) > 30]
            if lines:
                return lines[-1]
    raise AssertionError(f"{lab} has no hidden test")


def test_published_course_holds_exactly_the_documented_files(published):
    result, dest = published
    top = {p.name for p in dest.iterdir()}
    assert top == {"README.md", "LICENSE", "ATTRIBUTION.md", "labs", "docs", "dist", ".rnncourse-publish.json"}
    assert sorted(p.name for p in (dest / "labs").iterdir()) == [f"{lab}.ipynb" for lab in LABS]
    assert [p.name for p in (dest / "dist").iterdir()] == [WHEEL]
    site = {p.relative_to(dest / "docs").as_posix() for p in (dest / "docs").rglob("*") if p.is_file()}
    assert {"index.html", "hand-in.html", ".nojekyll"} | {f"labs/{lab}.html" for lab in LABS} \
        | {f"downloads/{lab}.ipynb" for lab in LABS} <= site
    assert not [p for p in site if p.endswith((".ipynb", ".md")) and not p.startswith("downloads/")], site
    manifest = json.loads((dest / ".rnncourse-publish.json").read_text())
    written = files(dest)
    del written[".rnncourse-publish.json"]
    assert manifest["files"] == written, "the manifest does not list exactly what publish wrote"
    assert (dest / "LICENSE").read_bytes() == (REPO / "LICENSE").read_bytes()
    assert (dest / "ATTRIBUTION.md").read_bytes() == (REPO / "ATTRIBUTION.md").read_bytes()
    assert "No secret found in any file." in result.stdout, result.stdout


def test_notebooks_are_the_built_labs_with_a_first_cell_that_installs_the_published_wheel(published):
    _, dest = published
    raw = f"https://raw.githubusercontent.com/{SETTINGS.repository}/{SETTINGS.branch}/dist/{WHEEL}"
    for lab in LABS:
        built = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
        sent = nbformat.read(dest / "labs" / f"{lab}.ipynb", as_version=4)
        assert [c.source for i, c in enumerate(sent.cells) if i != 1] == \
            [c.source for i, c in enumerate(built.cells) if i != 1], f"{lab}: publish changed more than the first cell"
        first = sent.cells[1].source
        assert f"_source = '{VERSION}', 'rnncourse @ {raw}'" in first, first
        assert built.cells[1].source.replace(f"'rnncourse=={VERSION}'", f"'rnncourse @ {raw}'") == first


def test_every_lab_opens_from_its_header_and_the_readme(published):
    """The badges point at the notebook's own path in the student repository, in the forms Colab and
    Deepnote document; the README lists every lab with its objectives and the same links."""
    _, dest = published
    readme = (dest / "README.md").read_text()
    assert readme.startswith(f"# {SETTINGS.title}\n")
    for lab in LABS:
        colab = f"https://colab.research.google.com/github/{SETTINGS.repository}/blob/{SETTINGS.branch}/labs/{lab}.ipynb"
        deepnote = ("https://deepnote.com/launch?url=https%3A%2F%2Fgithub.com%2F"
                    + "%2F".join([*SETTINGS.repository.split("/"), "blob", SETTINGS.branch, "labs", f"{lab}.ipynb"]))
        assert colab_url(SETTINGS, lab) == colab and deepnote_url(SETTINGS, lab) == deepnote
        header = nbformat.read(dest / "labs" / f"{lab}.ipynb", as_version=4).cells[0].source
        assert f"]({colab})" in header and f"]({deepnote})" in header, header
        assert f"]({colab})" in readme and f"(labs/{lab}.ipynb)" in readme
        for objective in SETTINGS.labs[lab]["objectives"]:
            assert f"- {objective}" in header and f"- {objective}" in readme


def test_check_passes_on_the_published_course_and_names_a_planted_hidden_test(published, tmp_path):
    _, dest = published
    clean = rnncourse("publish", str(dest), "--check", cwd=REPO)
    assert clean.returncode == 0 and "No secret found" in clean.stdout, clean.stdout + clean.stderr

    copy = tmp_path / "student-course"
    shutil.copytree(dest, copy)
    notebook = copy / "labs" / "03-bptt.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    secret = hidden_test_line("01-forward")
    nb.cells[5].source += f"\n\nA hint: `{secret}`"
    nbformat.write(nb, notebook)
    found = rnncourse("publish", str(copy), "--check", cwd=REPO)
    assert found.returncode == 1
    line = len(nb.cells[5].source.splitlines())
    assert f"labs/03-bptt.ipynb, cell 5, line {line}: lab 01-forward: hidden test" in found.stdout, found.stdout
    assert "labs/03-bptt.ipynb is not as publish wrote it" in found.stdout


def test_a_secret_someone_else_put_in_dest_stops_publish_before_anything_changes(published, tmp_path):
    _, dest = published
    copy = tmp_path / "student-course"
    shutil.copytree(dest, copy)
    (copy / "notes").mkdir()       # a line of a wrong-answer fixture of lab 01
    (copy / "notes" / "answers.md").write_text("Lab 01, the forward step:\n\n    h2 = relu(U.T @ x2 + V @ h1)\n")
    before = files(copy)
    result = rnncourse("publish", str(copy), cwd=REPO)
    assert result.returncode == 1
    assert "notes/answers.md, line 3: lab 01-forward: wrong answer fixture of forward" in result.stderr, result.stderr
    assert files(copy) == before


def test_publishing_again_updates_in_place_and_says_what_changed(published, tmp_path):
    """Without --wheel the first cells go back to the package index and the wheel goes; a removed
    notebook comes back, an edited README is rewritten; .git and others' files stay."""
    _, dest = published
    copy = tmp_path / "student-course"
    shutil.copytree(dest, copy)
    (copy / ".git").mkdir()
    (copy / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (copy / "CNAME").write_text("rnn.example.edu\n")
    (copy / "labs" / f"{LABS[1]}.ipynb").unlink()
    (copy / "README.md").write_text("edited by hand\n")
    result = rnncourse("publish", str(copy), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    said = dict(reversed(line.split()) for line in result.stdout.splitlines()
                if re.match(r"^\s*(added|changed|removed) ", line))
    assert said[f"labs/{LABS[1]}.ipynb"] == "added" and said["README.md"] == "changed"
    assert said[f"dist/{WHEEL}"] == "removed" and not (copy / "dist").exists()
    assert all(said[f"labs/{lab}.ipynb"] == "changed" for lab in LABS if lab != LABS[1])
    changed = [path for path, kind in said.items() if kind == "changed"]
    assert all(path == "README.md" or path.startswith(("labs/", "docs/")) for path in changed), changed
    assert (copy / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (copy / "CNAME").read_text() == "rnn.example.edu\n"
    first = nbformat.read(copy / "labs" / f"{LABS[0]}.ipynb", as_version=4).cells[1].source
    assert f"_source = '{VERSION}', 'rnncourse=={VERSION}'" in first


def test_publish_refuses_the_checkout_itself_and_labs_built_from_other_settings(tmp_path):
    inside = rnncourse("publish", str(REPO / "site"), cwd=REPO)
    assert inside.returncode == 1 and "overlaps the course checkout" in inside.stderr, inside.stderr

    course = tmp_path / "course"
    shutil.copytree(REPO / "solutions", course / "solutions", ignore=shutil.ignore_patterns("*.png"))
    shutil.copytree(REPO / "labs", course / "labs")
    shutil.copy(REPO / "LICENSE", course)
    settings = course / "solutions" / "course.yml"
    settings.write_text(settings.read_text().replace(f"term: {SETTINGS.term}", "term: Autumn 2031"))
    stale = rnncourse("publish", str(tmp_path / "dest"), cwd=course)
    assert stale.returncode == 1 and not (tmp_path / "dest").exists()
    assert (f"labs/{LABS[0]}.ipynb was built from another solutions/course.yml or rnncourse (its header or first "
            f"cell differs): run `rnncourse build 1` first.") in stale.stderr, stale.stderr


def test_math_becomes_mathml_and_code_keeps_its_dollars():
    text = "Cost $a_1 + b$ here.\n\n$$\\frac{x}{2}$$\n\n`echo $HOME` and\n```\nprice = $5\n```\n"
    out = math_to_mathml(text)
    assert 'display="inline"><mrow><msub><mi>a</mi><mn>1</mn></msub>' in out
    assert 'display="block"><mrow><mfrac><mrow><mi>x</mi></mrow><mrow><mn>2</mn></mrow></mfrac></mrow></math>' in out
    assert "`echo $HOME`" in out and "price = $5" in out and "$" not in out.replace("$HOME", "").replace("$5", "")


@pytest.mark.parametrize("entry, message", [
    ({"objectives": ["one", "two"]}, "labs.01-forward.objectives: give 3 to 5 sentences"),
    ({"time": "an hour"}, "labs.01-forward.time: give a typical student's time in minutes"),
    ({"prerequisites": [1]}, "labs.01-forward.prerequisites: name earlier labs by number"),
    ({"due": "next Friday"}, "labs.01-forward.due: give the date as YYYY-MM-DD"),
    ({"sources": ["cs178"]}, "labs.01-forward.sources: 'cs178' is not under sources: (did you mean 'cs187'?)"),
    ({"objective": []}, "labs.01-forward: unknown key 'objective' (did you mean 'objectives'?)"),
])
def test_bad_lab_metadata_is_an_error_naming_lab_and_key(entry, message, tmp_path):
    values = yaml.safe_load((REPO / "solutions" / "course.yml").read_text())
    values["labs"]["01-forward"].update(entry)
    with pytest.raises(SettingsError, match=re.escape(message)):
        read_syllabus(FIRST_LAB, settings_with(values, tmp_path), complete=False)


def test_missing_metadata_is_a_warning_and_never_a_wrong_link(tmp_path):
    values = yaml.safe_load((REPO / "solutions" / "course.yml").read_text())
    del values["repository"]
    values["labs"]["01-forward"].pop("time")
    settings = settings_with(values, tmp_path)
    labs = find_labs(REPO)
    infos, warnings = read_syllabus(labs, settings)
    assert any("no repository, so no lab has Open in Colab or Deepnote links" in w for w in warnings), warnings
    assert any("labs.01-forward.time is missing" in w for w in warnings), warnings
    header = lab_header(infos[0], settings)
    assert "colab" not in header.lower() and "deepnote" not in header.lower() and "Time:" not in header
    assert colab_url(settings, "01-forward") is None
