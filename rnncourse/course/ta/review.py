"""`rnncourse review`: every written answer of a graded batch, one page per question, and a score sheet.

Written (manual) questions are read by a person. For a gradebook folder DIR (`rnncourse grade
--out DIR`) this writes, beside the grades:

    review/index.html         the lab's written questions, their points, how many answers are blank
    review/<question>.html    the question, then every submission's answer, rendered, by code
    review/codes.csv          code -> submission (the pages show codes only, so marking is blind)
    manual-scores.csv         submission, question, points, comment: one row per pair, to fill in

Codes are short, random and kept in codes.csv, so a second review (after more submissions came
in) keeps every code and every filled row of manual-scores.csv. `rnncourse merge` (merge.py)
brings the filled sheet into grades.csv and the feedback.

In a lab notebook Otter wraps each written question in <!-- BEGIN QUESTION --> ... <!-- END
QUESTION --> Markdown comments (the first cell is the prompt); the k-th such block holds the
answer to the lab's k-th written question.
"""

import csv
import html
import io
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..files import write_atomic
from ..grading.gradebook import Gradebook
from ..grading.submissions import Invalid, read_notebook, zip_notebook

BEGIN, END = "<!-- BEGIN QUESTION -->", "<!-- END QUESTION -->"
PLACEHOLDER = "_Type your answer here, replacing this text._"
SHEET, CODES = "manual-scores.csv", "codes.csv"
SHEET_COLUMNS = ["submission", "question", "points", "comment"]


@dataclass
class Answer:
    code: str           # what the pages show instead of the submission's name
    submission: str
    cells: list         # the notebook cells of the answer (Markdown or code), [] when none
    problem: str = ""   # why the answer could not be read ("" when it could)

    @property
    def blank(self):
        return not self.problem and all(c.source.strip() in ("", PLACEHOLDER) for c in self.cells)


def read_submission(path, lab_name):
    """The notebook of a submission, read as `rnncourse grade` reads it (submissions.py: the zip's one
    top-level notebook, checked to be of this lab); ValueError saying why not, without the path."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".zip":
            nb = zip_notebook(path, lab_name)[1]
        else:
            nb = read_notebook(path.read_bytes(), "the file", lab_name)
    except Invalid as e:
        raise ValueError(str(e)) from None
    except OSError as e:
        raise ValueError(f"the file cannot be read ({e.strerror})") from None
    return nbformat.reads(json.dumps(nb), as_version=4)       # cell sources joined, as nbformat reads them


def written_blocks(nb):
    """[(prompt cell, [answer cells])] of each written question of notebook `nb`, in order."""
    blocks, current = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and BEGIN in cell.source:
            current = (cell, [])
            blocks.append(current)
        elif current is not None and cell.cell_type == "markdown" and cell.source.lstrip().startswith(END):
            current = None
        elif current is not None:
            current[1].append(cell)
    return blocks


def load_codes(path):
    """{submission: code} from codes.csv ({} if there is none yet)."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {row["submission"]: row["code"] for row in csv.DictReader(f)}


def assign_codes(submissions, known):
    """{submission: code}: the codes in `known` kept, a new random one for each other submission."""
    codes, used = dict(known), set(known.values())
    for name in submissions:
        while name not in codes:
            code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(4))
            if code not in used:
                codes[name] = code
                used.add(code)
    return codes


MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.S)


def render_markdown(text):
    """Markdown as HTML, raw HTML escaped, and math left exactly as typed (no renderer offline)."""
    import mistune

    spans = []

    def keep(match):
        spans.append(match.group(0))
        return f"MATHSPAN{len(spans) - 1}END"

    rendered = mistune.create_markdown(escape=True)(MATH.sub(keep, text))
    return re.sub(r"MATHSPAN(\d+)END", lambda m: f'<span class="math">{html.escape(spans[int(m.group(1))])}</span>',
                  rendered)


def render_cells(answer):
    if answer.problem:
        return f'<p class="problem">Not readable: {html.escape(answer.problem)}</p>'
    if answer.blank:
        return '<p class="blank">(blank)</p>'
    parts = []
    for cell in answer.cells:
        if cell.source.strip() == PLACEHOLDER:        # left beside the answer, as Otter's solved copy does
            continue
        if cell.cell_type == "markdown":
            parts.append(f'<div class="markdown">{render_markdown(cell.source)}</div>')
        elif cell.source.strip():
            parts.append(f"<pre><code>{html.escape(cell.source)}</code></pre>")
    return "\n".join(parts)


STYLE = """body { font-family: sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5; }
section { border-top: 1px solid #ccc; padding: 0.5rem 0 1rem; }
h2 .points { font-weight: normal; color: #555; font-size: 0.8em; }
.prompt { background: #f4f6fa; padding: 0.5rem 1rem; }
.rubric { background: #f3f8f1; padding: 0.5rem 1rem; margin: 1rem 0; }
.blank, .problem { color: #a33; font-style: italic; }
.math { font-family: monospace; background: #f8f8f0; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.8rem; border-bottom: 1px solid #ddd; }"""


def points(p):
    return f"{p:g} point" + ("" if p == 1 else "s")


def page(title, body):
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def marking_guide(question):
    """The question's rubric and model answer from its master, for the TA marking it."""
    if not question.rubric:
        rubric = ('<p class="problem">This question has no rubric: add a RUBRIC cell to it in the master '
                  "(docs/instructors.md, Rubrics).</p>")
    else:
        rows = "".join(f"<tr><td>{p:g}</td><td>{html.escape(text)}</td></tr>" for p, text in question.rubric)
        rubric = f"<table><tr><th>points</th><th>criterion</th></tr>{rows}</table>"
    model = render_markdown(question.model_answer) if question.model_answer else "<p>(none in the master)</p>"
    return (f'<div class="rubric"><h2>Rubric</h2>\n{rubric}\n<details><summary>Model answer</summary>\n'
            f"{model}\n</details></div>\n")


def collect_answers(book):
    """{question: [Answer]} for every written question of the gradebook's lab, over every submission."""
    written = [q for q in book.lab.questions if q.manual]
    codes = assign_codes(sorted(book.results), load_codes(book.folder / "review" / CODES))
    answers = {q.name: [] for q in written}
    prompts = {}
    for name in sorted(book.results, key=lambda n: codes[n]):
        result = book.results[name]
        try:
            blocks = written_blocks(read_submission(result.source, book.lab.name))
            problem = "" if len(blocks) == len(written) else \
                f"{len(blocks)} written-answer blocks where the lab has {len(written)}: the notebook was edited"
        except ValueError as e:
            blocks, problem = [], str(e)
        for k, q in enumerate(written):
            prompt, cells = blocks[k] if not problem else (None, [])
            if prompt is not None:
                prompts.setdefault(q.name, prompt.source.replace(BEGIN, "").strip())
            answers[q.name].append(Answer(codes[name], name, cells, problem))
    return written, answers, prompts, codes


def review(folder, lab, names=False):
    """Write the review pages and the score sheet for the grades in `folder` (of labs.Lab `lab`).
    names=True shows submission names instead of codes. Returns the path of the index page."""
    book = Gradebook.open(folder, lab)
    try:
        written, answers, prompts, codes = collect_answers(book)
    finally:
        book.close()
    out = Path(folder) / "review"
    label = (lambda a: a.submission) if names else (lambda a: a.code)
    rows = []
    for q in written:
        sections = [f'<section id="{html.escape(label(a))}"><h2>{html.escape(label(a))} '
                    f'<span class="points">/ {points(q.points)}</span></h2>\n{render_cells(a)}</section>'
                    for a in answers[q.name]]
        prompt = render_markdown(prompts.get(q.name, "(the prompt could not be read from any submission)"))
        write_atomic(out / f"{q.name}.html", page(f"{lab.name}: {q.name}", (
            f'<p><a href="index.html">{html.escape(lab.name)}: written questions</a></p>\n'
            f"<h1>{html.escape(q.name)} ({points(q.points)})</h1>\n<div class=\"prompt\">{prompt}</div>\n"
            + marking_guide(q) + "\n".join(sections))))
        blank = sum(a.blank or bool(a.problem) for a in answers[q.name])
        rows.append(f'<tr><td><a href="{q.name}.html">{html.escape(q.name)}</a></td><td>{q.points:g}</td>'
                    f"<td>{len(answers[q.name])}</td><td>{blank}</td></tr>")
    write_atomic(out / "index.html", page(f"{lab.name}: written questions", (
        f"<h1>{html.escape(lab.name)}: written questions</h1>\n<p>{len(codes)} submissions; fill in "
        f"<code>{SHEET}</code> beside this folder, then run <code>rnncourse merge</code>.</p>\n"
        "<table><tr><th>question</th><th>points</th><th>answers</th><th>blank or unreadable</th></tr>\n"
        + "\n".join(rows) + "\n</table>")))
    write_codes(out / CODES, codes)
    write_sheet(Path(folder) / SHEET, written, answers, label)
    return out / "index.html"


def write_codes(path, codes):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "submission"])
    writer.writerows(sorted((code, name) for name, code in codes.items()))
    write_atomic(path, text.getvalue())


def write_sheet(path, written, answers, label):
    """The score sheet: a row for every (submission, question), the rows already filled kept."""
    filled = {}
    if path.is_file():
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                filled[(row.get("submission"), row.get("question"))] = row
    text = io.StringIO()
    writer = csv.DictWriter(text, SHEET_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for q in written:
        for a in answers[q.name]:
            # the row as a TA left it, under whichever label the sheet had then: a code or a name
            old = next((filled[key, q.name] for key in (a.code, a.submission) if (key, q.name) in filled), {})
            writer.writerow({"submission": label(a), "question": q.name, "points": old.get("points", ""),
                             "comment": old.get("comment", "")})
    write_atomic(path, text.getvalue())

