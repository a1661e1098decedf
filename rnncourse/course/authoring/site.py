"""The course site that `rnncourse publish` builds into DEST/docs (where GitHub Pages can serve it).

MkDocs with the Material theme, the labs rendered from their student notebooks by mkdocs-jupyter:
a home page with the syllabus, a page per lab (its header and badges, its questions and points, a
download link, then the notebook itself) and a page on handing in.

The site works offline, with nothing fetched at build time or when it is read: the theme's fonts
are off, the math is turned into MathML at build time (latex2mathml; browsers draw it themselves),
the badges are local images, and the script tags that mkdocs-jupyter points at CDNs (MathJax,
Mermaid, RequireJS) are taken out of the pages.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml
from latex2mathml.converter import convert

from .syllabus import syllabus_markdown

BADGES = ("assets/open-in-colab.svg", "assets/open-in-deepnote.svg")   # under the site's root
BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{text}">
<rect width="{width}" height="20" rx="3" fill="{colour}"/>
<text x="{middle}" y="14" fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"
 text-anchor="middle">{text}</text></svg>
"""
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)          # fenced blocks and inline code keep their $
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")
HEADING_CODE = re.compile(r"^#+ .*`.*$", re.M)
EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*")
HAND_IN = """# How to hand in

1. Save your notebook (Colab: *File > Save*; Jupyter: *Ctrl+S*).
2. Run the last cell of the notebook, `grader.submit()`. It runs the public checks of every
   question once more and writes a zip named after the lab and the time, for example
   `01-forward_2027_02_01T10_15_00.zip`. In Colab the download starts by itself; in Jupyter the zip
   is beside the notebook.
3. Upload that zip, and nothing else, where your course collects work (Gradescope, the course's
   learning platform). Do not unpack it or rename the notebook inside it.

Your mark comes from hidden tests that try your answers on other inputs, so a green public check is
a good sign, not the final word. Written answers are read by a person against a rubric.

Something wrong? Re-run the notebook from the top (*Runtime > Restart and run all* in Colab,
*Kernel > Restart Kernel and Run All Cells* in Jupyter), then `grader.submit()` again: only your
last zip counts.
"""


def math_to_mathml(markdown):
    """`markdown` with its $...$ and $$...$$ math turned into MathML, code spans left alone."""
    def display(match):
        return convert(match.group(1).strip(), display="block")

    def inline(match):
        return convert(match.group(1).strip())

    parts = CODE.split(markdown)
    for i in range(0, len(parts), 2):          # even parts are text, odd parts code
        parts[i] = INLINE_MATH.sub(inline, DISPLAY_MATH.sub(display, parts[i]))
    return "".join(parts)


def lab_page(notebook, lab, settings, download):
    """The site's copy of a student notebook: local badges, math as MathML, and after the header
    the lab's questions with their points and a link to download the notebook."""
    nb = nbformat.reads(nbformat.writes(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            # A code span in a heading gives it one anchor in the page and another in the table of
            # contents (mkdocs-jupyter's slugs differ from nbconvert's there): plain text gives one.
            cell.source = HEADING_CODE.sub(lambda m: m.group(0).replace("`", ""), math_to_mathml(cell.source))
    header = nb.cells[0]
    header.source = (header.source.replace("https://colab.research.google.com/assets/colab-badge.svg",
                                           f"../{BADGES[0]}")
                     .replace("https://deepnote.com/buttons/launch-in-deepnote-small.svg", f"../{BADGES[1]}"))
    rows = ["| Question | Points | Marked by |", "|---|---|---|"]
    rows += [f"| `{q.name}` | {q.points:g} | {'a person' if q.manual else 'the autograder'} |" for q in lab.questions]
    total = sum(q.points for q in lab.questions)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(
        f'<a class="md-button" href="{download}" download>Download the notebook</a>\n\n'
        f"**Questions** ({total:g} points in all):\n\n" + "\n".join(rows)))
    return nb


def home_page(settings, infos):
    lines = [f"# {settings.title or 'The course'}", ""]
    if settings.term:
        lines += [f"*{settings.term}*", ""]
    lines += ["Each lab is a Jupyter notebook: open it in Colab or Deepnote with its badge, or download it "
              "and run it in your own Jupyter. Its first cell installs everything it needs; each question's "
              "check tells you at once whether your answer passes the public tests. When you are done, "
              "[hand it in](hand-in.md).", "", "## Labs", ""]
    lines.append(syllabus_markdown(infos, settings, lambda name: f"labs/{name}.ipynb", images=BADGES))
    return "\n".join(lines)


def badge_svg(text, colour):
    width = 12 + 7 * len(text)
    return BADGE_SVG.format(width=width, middle=width // 2, text=text, colour=colour)


def build_site(notebooks, labs, infos, settings, out):
    """Build the site into `out` from the published notebooks ({lab name: path}); labs and infos as
    read from the course (authoring.labs.Lab, syllabus.LabInfo). Raises RuntimeError with MkDocs'
    own output when it fails."""
    by_name = {lab.name: lab for lab in labs}
    with tempfile.TemporaryDirectory(prefix="rnncourse-site-") as scratch:
        docs = Path(scratch) / "docs"
        (docs / "labs").mkdir(parents=True)
        (docs / "downloads").mkdir()
        (docs / "assets").mkdir()
        (docs / BADGES[0]).write_text(badge_svg("Open in Colab", "#e37400"))
        (docs / BADGES[1]).write_text(badge_svg("Open in Deepnote", "#3793ef"))
        (docs / "index.md").write_text(home_page(settings, infos))
        (docs / "hand-in.md").write_text(HAND_IN)
        nav = [{"Home": "index.md"}, {"Labs": []}, {"How to hand in": "hand-in.md"}]
        for info in infos:
            source = notebooks[info.name]
            shutil.copy(source, docs / "downloads" / source.name)
            page = lab_page(nbformat.read(source, as_version=4), by_name[info.name], settings,
                            f"../downloads/{source.name}")
            nbformat.write(page, docs / "labs" / source.name)
            nav[1]["Labs"].append({info.title: f"labs/{source.name}"})
        config = {
            "site_name": settings.title or "Course",
            "docs_dir": "docs",
            "use_directory_urls": False,            # pages work from a folder on disk, not only a server
            "theme": {"name": "material", "font": False, "features": ["navigation.sections"]},
            "nav": nav,
            "markdown_extensions": ["tables", "attr_list", "toc"],
            "plugins": ["search", {"mkdocs-jupyter": {"ignore": ["downloads/*"], "include_source": False}}],
        }
        (Path(scratch) / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--clean",
                                 "--site-dir", str(Path(out).absolute())],
                                cwd=scratch, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"mkdocs build failed:\n{result.stdout}{result.stderr}")
    for page in Path(out).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        page.write_text(EXTERNAL_SCRIPT.sub("", text), encoding="utf-8")
    (Path(out) / ".nojekyll").write_text("")       # GitHub Pages serves the files as they are
    # MkDocs' 404 page links from the server's root, which is wrong wherever the site is not at the
    # root (GitHub Pages serves a project at /<repo>/); GitHub Pages has a 404 page of its own.
    (Path(out) / "404.html").unlink(missing_ok=True)
