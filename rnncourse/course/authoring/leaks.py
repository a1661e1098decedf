"""Find what must never reach students: solution code and hidden tests.

A solution line is one marked `# SOLUTION` or between in-code BEGIN/END SOLUTION markers in a
master notebook; a hidden test is a test cell whose first line says hidden. Checks compare the
code text itself, so a leak is found wherever it lands (notebook, test file, zip).
"""

import functools
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import yaml

from .labs import BOUNDARY

SOLUTION_MARK = re.compile(r"#\s*SOLUTION\s*$")
INLINE_BEGIN = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION\b", re.I)
INLINE_END = re.compile(r"^\s*#\s*END\s+SOLUTION\b", re.I)
HIDDEN_FIRST_LINE = re.compile(r"^\s*#.*\bhidden\b", re.I)
TEST_NAME = re.compile(r"^def\s+(\w+)\s*\(", re.M)


@dataclass(frozen=True)
class MasterParts:
    """A master notebook split by who may see it."""
    snippets: set          # solution code (secret)
    hidden_names: set      # names of the hidden test functions (secret)
    hidden_cells: list     # sources of the hidden test cells (secret)
    given: list            # every text students get from this master: prompts, given code, public tests


def master_parts(master_path):
    """Split a master notebook into what is secret and what students are given.

    A solution line that students also see in code given to them (a `with torch.no_grad():` in
    a cell they complete, say) is no secret, and is left out.
    """
    nb = nbformat.read(master_path, as_version=4)
    snippets, names, hidden, given = set(), set(), [], []
    block = None
    for cell in nb.cells:
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        boundary = BOUNDARY.match(first) if cell.cell_type == "raw" else None
        if boundary:
            block = boundary.group(2).upper() if boundary.group(1).upper() == "BEGIN" else None
            continue
        if cell.cell_type == "raw":
            continue                        # the config and the rubrics: never given
        if block == "SOLUTION":
            if cell.cell_type == "code":
                secret, shown = _split_solution_cell(cell.source)
                snippets |= secret
                given += shown
        elif block == "TESTS" and HIDDEN_FIRST_LINE.match(first):
            names |= set(TEST_NAME.findall(cell.source))
            hidden.append(cell.source)
        else:
            given.append(cell.source)
    shown = "\n".join(given)
    return MasterParts({s for s in snippets if s not in shown}, names, hidden, given)


def master_secrets(master_path):
    """(solution snippets, hidden test function names) of a master notebook."""
    parts = master_parts(master_path)
    return parts.snippets, parts.hidden_names


def _split_solution_cell(source):
    """(secret snippets, lines students see) of a code cell inside a SOLUTION block."""
    found, shown, inside = set(), [], False
    for line in source.splitlines():
        if INLINE_BEGIN.match(line):
            inside = True
        elif INLINE_END.match(line):
            inside = False
        elif inside or SOLUTION_MARK.search(line):
            code = SOLUTION_MARK.sub("", line).strip()
            # for `x = expr  # SOLUTION` students see `x = ...`: the secret is the right-hand side
            code = code.split("=", 1)[1].strip() if re.match(r"^[\w\s,\[\]\.]+=[^=]", code) else code
            if len(code) >= 6:   # shorter fragments ("0", "x") are not evidence of a leak
                found.add(code)
        else:
            shown.append(line)
    return found, shown


def find_leaks(master_path, texts):
    """Leaks of the secrets of master_path in `texts` ({where: text}); a list of readable findings."""
    snippets, hidden = master_secrets(master_path)
    findings = []
    for where, text in texts.items():
        for snippet in sorted(snippets):
            if snippet in text:
                findings.append(f"{where}: solution code {snippet!r}")
        for name in sorted(hidden):
            if re.search(rf"\b{re.escape(name)}\b", text):
                findings.append(f"{where}: hidden test {name}")
        if re.search(r"hidden\s*=\s*True", text):
            findings.append(f"{where}: a test case marked hidden=True")
    return findings


# ---- The whole course: everything `rnncourse publish` writes is checked against every secret ----

LINE_SECRET = 16          # shorter lines ("return out", "import torch") are not evidence of a leak
LEADING_MARKS = re.compile(r"^(?:>>>|\.\.\.|[>#*+-]|\d+\.)\s+")   # prompts, quotes, list items, headings


@dataclass(frozen=True)
class Secrets:
    """What no published file may hold. `lines`: {stripped line: what it is}, found as a whole line;
    `snippets`: {code: what}, found anywhere in a line; `names`: {hidden test name: what}."""
    lines: dict
    snippets: dict
    names: dict


def course_secrets(root, labs):
    """Every secret of the course at `root` (labs: authoring.labs.Lab): solution code, model answers
    and rubrics of written questions, hidden tests and their support files, and the wrong and correct
    answers kept as test fixtures. A line that students get anyway (given in a master, or in the
    package's own source) is no secret."""
    root = Path(root)
    parts = {lab.name: master_parts(lab.master) for lab in labs}
    # What students are given: the masters' prompts, given code and public tests, and the package's
    # source (the public tests shipped in it included). Not labs/: a leak there must still be found.
    given = [text for part in parts.values() for text in part.given]
    given += [path.read_text(encoding="utf-8") for path in (root / "rnncourse").rglob("*.py")]
    # a line counts as given wherever the scan would find it: whole, in a `code span`, after a mark
    public = {piece for line in _stripped(given) for piece in _pieces(line)}
    given = "\n".join(given)
    lines, snippets, names = {}, {}, {}

    def secret_lines(text, what):
        for line in _stripped([text]) - public:
            if len(line) >= LINE_SECRET:
                lines.setdefault(line, what)

    for lab in labs:
        part = parts[lab.name]
        snippets.update({s: f"lab {lab.name}: solution code" for s in part.snippets if s not in given})
        names.update(dict.fromkeys(part.hidden_names, f"lab {lab.name}: hidden test"))
        for source in part.hidden_cells:
            secret_lines(source, f"lab {lab.name}: hidden test")
        for question in lab.questions:
            secret_lines(question.model_answer, f"lab {lab.name}: model answer of {question.name}")
            for _, criterion in question.rubric:
                lines.setdefault(criterion.strip(), f"lab {lab.name}: rubric of {question.name}")
        for support in sorted((root / "solutions" / "support" / lab.name).glob("*.py")):
            secret_lines(support.read_text(encoding="utf-8"), f"lab {lab.name}: hidden test support {support.name}")
        for kind, folder in (("wrong answer", "mutants"), ("correct variant", "alternatives")):
            path = root / "tests" / folder / f"{lab.name}.yml"
            fixtures = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
            for question, answers in (fixtures or {}).items():
                for answer in answers:
                    secret_lines(answer.get("code", ""), f"lab {lab.name}: {kind} fixture of {question}")
    return Secrets(lines, snippets, names)


def _stripped(texts):
    return {line.strip() for text in texts for line in text.splitlines() if line.strip()}


def notebook_texts(raw):
    """(where, text) of each cell of a notebook's JSON `raw`: its source, then any text it outputs."""
    nb = nbformat.reads(raw, as_version=4)
    for i, cell in enumerate(nb.cells):
        yield f"cell {i}", cell.source
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain") or ""
            yield f"cell {i} output", "".join(text) if isinstance(text, list) else text


class _Text(HTMLParser):
    """The text of an HTML page, as a reader sees it (code keeps its lines)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def readable_texts(name, data):
    """(where, text) of a published file `name` with bytes `data`: the cells of a notebook, the text
    of an HTML page, every member of a wheel or zip, any other file read as UTF-8; binary files give
    nothing (images)."""
    lower = name.lower()
    if lower.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from readable_texts(f"{name}:{member}", archive.read(member))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if lower.endswith(".ipynb"):
        try:
            for where, cell in notebook_texts(text):
                yield f"{name}, {where}", cell
            return
        except Exception:     # not a notebook after all: read it as text
            pass
    if lower.endswith((".html", ".htm")):
        parser = _Text()
        parser.feed(text)
        text = "".join(parser.parts)
    yield name, text


def scan(where, text, secrets):
    """Findings 'where, line N: what: text' of `secrets` in `text`."""
    findings = []
    snippet = _alternation(secrets.snippets, word=False)
    name = _alternation(secrets.names, word=True)
    for number, line in enumerate(text.splitlines(), 1):
        found = [(secrets.lines[piece], piece) for piece in _pieces(line) if piece in secrets.lines][:1]
        for pattern, table in ((snippet, secrets.snippets), (name, secrets.names)):
            if pattern is not None:
                found += [(table[m.group(0)], m.group(0)) for m in pattern.finditer(line)]
        findings += [f"{where}, line {number}: {what}: {shown[:80]!r}" for what, shown in found]
    return findings


def _pieces(line):
    """The ways a secret line can sit in a published line: the whole line, a `code span` in it, the
    line after a prompt, quote, list or heading mark."""
    line = line.strip()
    return {line, LEADING_MARKS.sub("", line), *(part.strip() for part in line.split("`")[1::2])}


@functools.lru_cache(maxsize=8)
def _compiled(keys, word):
    body = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"\b(?:{body})\b" if word else body)


def _alternation(table, word):
    return _compiled(tuple(sorted(table)), word) if table else None


def scan_folder(folder, secrets, skip=(".git",)):
    """Findings of `secrets` in every file under `folder` but those under `skip`, by relative path."""
    folder = Path(folder)
    findings = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not (set(relative.parts) & set(skip)):
            for where, text in readable_texts(relative.as_posix(), path.read_bytes()):
                findings += scan(where, text, secrets)
    return findings
