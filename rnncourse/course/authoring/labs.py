"""The lab registry: master notebooks in solutions/, their Otter Assign format checked up front.

A course checkout holds solutions/course.yml (course settings) and one master notebook per lab,
solutions/NN-name.ipynb. A lab is addressed by number ("1", "01") or name ("01-forward", "forward").
Everything here reads notebooks; nothing runs them.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from .settings import COURSE_FILE, did_you_mean

MASTER_NAME = re.compile(r"^(\d{2})-[a-z0-9-]+$")
BOUNDARY = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.I)
CONFIG_MARK = re.compile(r"^\s*#\s*ASSIGNMENT\s+CONFIG\b", re.I)
RUBRIC_MARK = re.compile(r"^\s*#\s*RUBRIC\b", re.I)   # a raw cell in a written question: TAs' criteria
QUESTION_KEYS = {"name", "points", "manual", "check_cell", "export", "all_or_nothing"}


class LabError(Exception):
    """A problem with a lab or the course settings, stated with where it is and how to fix it."""


@dataclass
class Question:
    name: str
    points: float
    manual: bool
    has_tests: bool
    rubric: list = field(default_factory=list)    # [(points, criterion)] of a written question
    model_answer: str = ""                         # its solution cells' text (Markdown)


@dataclass
class Lab:
    number: int
    name: str            # "01-forward": file stem, Otter assignment name, labs/ file name
    master: Path
    title: str
    config: dict
    questions: list = field(default_factory=list)

    @property
    def autograded(self):
        return [q for q in self.questions if not q.manual]

    @property
    def points(self):
        return sum(q.points for q in self.autograded)


def find_course_root(start=None):
    """The nearest folder at or above `start` (default: cwd) that holds solutions/course.yml."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
    raise LabError(f"No course found at or above {here}: run rnncourse inside a course checkout "
                   f"(a folder with {COURSE_FILE}).")


def _otter_config_keys():
    """Valid ASSIGNMENT CONFIG keys, read from Otter itself so they follow its version."""
    import fica
    from otter.assign.assignment import Assignment
    from otter.run.run_autograder.autograder_config import AutograderConfig

    def keys(cls):
        return {k for k in dir(cls) if isinstance(getattr(cls, k, None), fica.Key)}

    # Otter rejects unknown top-level keys but silently ignores misspelled nested ones: check both.
    return keys(Assignment), {
        "tests": keys(Assignment.TestsValue),
        "export_cell": keys(Assignment.ExportCellValue),
        "seed": keys(Assignment.SeedValue),
        "generate": keys(AutograderConfig),
    }


def _cell_yaml(source, where):
    try:
        return yaml.safe_load(source) or {}
    except yaml.YAMLError as e:
        raise LabError(f"{where}: the YAML does not parse ({str(e).splitlines()[0]}). "
                       "Fix the indentation or quoting of that cell.") from None


def check_config(config, where):
    top, nested = _otter_config_keys()
    for key, value in config.items():
        if key not in top:
            raise LabError(f"{where}: unknown ASSIGNMENT CONFIG key {key!r}{did_you_mean(key, top)}.")
        if key in nested and isinstance(value, dict):
            for sub in value:
                if sub not in nested[key]:
                    raise LabError(f"{where}: unknown key {key}.{sub}"
                                   f"{did_you_mean(sub, nested[key])}; Otter would ignore it silently.")


def read_lab(master):
    """Parse and check one master notebook; raise LabError naming the cell and the fix."""
    master = Path(master)
    stem = master.stem
    if not MASTER_NAME.match(stem):
        raise LabError(f"{master}: master notebooks are named NN-name.ipynb (two digits, a dash, "
                       "lower-case words), e.g. 01-forward.ipynb.")
    try:
        nb = nbformat.read(master, as_version=4)
    except Exception as e:
        raise LabError(f"{master}: not a readable notebook ({e}).") from None
    cells = nb.cells
    config_cells = [i for i, c in enumerate(cells) if c.cell_type == "raw" and CONFIG_MARK.match(c.source)]
    if not config_cells:
        raise LabError(f"{master}: no ASSIGNMENT CONFIG. Add a raw cell starting with "
                       "'# ASSIGNMENT CONFIG' as the notebook's first cell.")
    config = _cell_yaml(cells[config_cells[0]].source, f"lab {stem}, cell {config_cells[0]} (ASSIGNMENT CONFIG)")
    check_config(config, f"lab {stem}, cell {config_cells[0]} (ASSIGNMENT CONFIG)")
    if config.get("name") != stem:
        raise LabError(f"lab {stem}, cell {config_cells[0]}: the config's name is {config.get('name')!r}; "
                       f"set 'name: {stem}' (the assignment name must match the file name).")

    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")), stem)
    lab = Lab(int(stem[:2]), stem, master, title, config)
    _read_questions(lab, cells)
    return lab


def _read_questions(lab, cells):
    open_blocks = []          # stack of (kind, cell index)
    current, tests = None, 0  # the open question, and its test cells so far
    seen = {}
    for i, cell in enumerate(cells):
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        match = BOUNDARY.match(first)
        if cell.cell_type == "raw" and RUBRIC_MARK.match(first):
            if current is None or not current.manual:
                raise LabError(f"lab {lab.name}, cell {i}: a RUBRIC cell belongs inside a written question "
                               "(manual: true), between its BEGIN QUESTION and END QUESTION.")
            if current.rubric:
                raise LabError(f"lab {lab.name}, cell {i}: question {current.name!r} has a second RUBRIC cell; "
                               "put all its criteria in one.")
            rubric_at = f"lab {lab.name}, cell {i} (RUBRIC of {current.name})"
            current.rubric = _rubric(cell.source, rubric_at)
            continue
        if not match:
            tests += bool(open_blocks and open_blocks[-1][0] == "TESTS" and cell.cell_type == "code")
            if current is not None and current.manual and open_blocks[-1][0] == "SOLUTION":
                current.model_answer = (current.model_answer + "\n\n" + cell.source).strip()
            continue
        where = f"lab {lab.name}, cell {i}"
        edge, kind = match.group(1).upper(), match.group(2).upper()
        if cell.cell_type != "raw":
            if cell.cell_type == "code" and kind == "SOLUTION":
                continue      # in-code BEGIN/END SOLUTION markers are allowed
            raise LabError(f"{where}: '{first.strip()}' is in a {cell.cell_type} cell; Otter only reads "
                           "boundary cells that are raw. Change that cell's type to Raw.")
        if edge == "BEGIN":
            if kind == "QUESTION":
                if open_blocks:
                    raise LabError(f"{where}: BEGIN QUESTION inside an open {open_blocks[-1][0]} block "
                                   f"(opened at cell {open_blocks[-1][1]}); close it first.")
                spec = _cell_yaml("\n".join(cell.source.splitlines()[1:]), where)
                for key in spec:
                    if key not in QUESTION_KEYS:
                        raise LabError(f"{where}: unknown question key {key!r}{did_you_mean(key, QUESTION_KEYS)}.")
                name = spec.get("name")
                if not name:
                    raise LabError(f"{where}: the question has no name; add 'name: ...' under BEGIN QUESTION.")
                if name in seen:
                    raise LabError(f"{where}: question name {name!r} is already used at cell {seen[name]}; "
                                   "question names must be unique in a lab.")
                seen[name] = i
                current = Question(name, spec.get("points", 1), bool(spec.get("manual", False)), False)
                tests = 0
            elif not open_blocks or open_blocks[-1][0] != "QUESTION":
                raise LabError(f"{where}: BEGIN {kind} outside a question; put it between "
                               "BEGIN QUESTION and END QUESTION.")
            elif kind == "TESTS":
                current.has_tests = True
            open_blocks.append((kind, i))
        else:
            if not open_blocks or open_blocks[-1][0] != kind:
                expected = f"END {open_blocks[-1][0]}" if open_blocks else "no END at all"
                raise LabError(f"{where}: END {kind} does not match (expected {expected}).")
            open_blocks.pop()
            if kind == "QUESTION":
                if not current.manual and not current.has_tests:
                    raise LabError(f"{where}: question {current.name!r} is autograded but has no tests; "
                                   "add a BEGIN TESTS block or set 'manual: true'.")
                current.points = _question_points(current.points, tests, f"{where} ({current.name})")
                if current.rubric and sum(p for p, _ in current.rubric) != current.points:
                    raise LabError(f"{rubric_at}: the rubric of {current.name!r} gives "
                                   f"{sum(p for p, _ in current.rubric):g} points, the question {current.points:g}; "
                                   "make the criteria add up to the question's points.")
                lab.questions.append(current)
                current = None
    if open_blocks:
        kind, i = open_blocks[-1]
        raise LabError(f"lab {lab.name}, cell {i}: BEGIN {kind} is never closed; add an END {kind} raw cell.")


def _rubric(source, where):
    """[(points, criterion)] from a RUBRIC cell: a YAML list of {points: n, criterion: text}."""
    items = _cell_yaml("\n".join(source.splitlines()[1:]), where)
    if not isinstance(items, list) or not items or not all(
            isinstance(item, dict) and set(item) == {"points", "criterion"} and isinstance(item["criterion"], str)
            and isinstance(item["points"], (int, float)) and item["points"] > 0 for item in items):
        raise LabError(f"{where}: write the rubric as a list of criteria, each '- points: 0.5' with "
                       "'  criterion: what the answer must say' below it.")
    return [(float(item["points"]), item["criterion"].strip()) for item in items]


def _question_points(points, tests, where):
    """A question's points, from `points:` as Otter reads it: a number, a list with one number per
    test cell, or {each: n} (n per test cell)."""
    if isinstance(points, list):
        if len(points) != tests or not all(isinstance(p, (int, float)) for p in points):
            raise LabError(f"{where}: 'points' lists {len(points)} values but the question has {tests} "
                           "test cells; give one number per test cell, in order.")
        return float(sum(points))
    if isinstance(points, dict):
        if set(points) != {"each"} or not isinstance(points["each"], (int, float)):
            raise LabError(f"{where}: 'points' as a mapping takes only 'each', e.g. points: {{each: 1}}.")
        return float(points["each"] * tests)
    if not isinstance(points, (int, float)):
        raise LabError(f"{where}: 'points' should be a number, a list of numbers or {{each: n}}.")
    return float(points)


def lab_names(root, wanted=()):
    """The names of the labs in root/solutions named in `wanted` (numbers or names; all when empty),
    in number order, from the file names alone: no notebook is read."""
    names = []
    for master in sorted((Path(root) / "solutions").glob("*.ipynb")):
        if not MASTER_NAME.match(master.stem):
            raise LabError(f"{master}: master notebooks are named NN-name.ipynb (two digits, a dash, "
                           "lower-case words), e.g. 01-forward.ipynb.")
        names.append(master.stem)
    numbers = {}
    for name in names:
        if name[:2] in numbers:
            raise LabError(f"labs {numbers[name[:2]]} and {name} share the number {name[:2]}.")
        numbers[name[:2]] = name
    if not wanted:
        return names
    chosen = []
    for spec in wanted:
        name = _match(names, str(spec))
        if name is None:
            raise LabError(f"Unknown lab {spec!r}. Known labs: {', '.join(names)} (give a number like 1 or a name).")
        if name not in chosen:
            chosen.append(name)
    return chosen


def find_labs(root):
    """Every lab in root/solutions, in number order."""
    return select_labs(root, ())


def select_labs(root, wanted):
    """The labs named in `wanted` (numbers or names), or all of them when it is empty."""
    return [read_lab(Path(root) / "solutions" / f"{name}.ipynb") for name in lab_names(root, wanted)]


def _match(names, spec):
    spec = spec.strip().lower().removesuffix(".ipynb")
    for name in names:
        if spec.isdigit() and int(spec) == int(name[:2]):
            return name
        if spec in (name, name[3:]):
            return name
    return None
