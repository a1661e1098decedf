"""`rnncourse export`: a lab's gradebook as a file an LMS imports, keyed by student instead of file name.

grades.csv is keyed by submission file name; an LMS gradebook by student. The roster is a CSV of
students, as Canvas exports it (Student, ID, SIS User ID, SIS Login ID, Section) or any CSV with
a student column and an id column. Submissions are matched to students:

- by an explicit mapping file (columns submission, student: the roster's id), when given;
- else by Canvas's bulk-download names, `<name>_[LATE_]<user id>_<submission id>_<file>`;
- else by a roster column whose value is a whole word of the submission's name (an id, a login).

Nothing is dropped silently: submissions that match no student (or several), students with no
submission or more than one, and submissions that were not graded are listed in the report, and
those students' cells are left empty for the TA to decide.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..files import write_atomic
from ..grading.gradebook import Gradebook

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_NAME = re.compile(r"^[^_/]+_(?:LATE_)?(\d+)_\d+_")      # doejane_LATE_12345_67890_01-forward.ipynb
MATCH_COLUMNS = ["ID", "SIS User ID", "SIS Login ID"]        # tried in this order for whole-word matches


class ExportError(Exception):
    """The roster or the mapping cannot be used; the message names the file, the row and the fix."""


@dataclass
class Export:
    rows: list                  # one dict per roster student, in roster order, with "total" ("" if none)
    possible: float
    unmatched: list = field(default_factory=list)      # (submission, why)
    missing: list = field(default_factory=list)        # students without a submission
    conflicts: list = field(default_factory=list)      # (student, [submissions])
    not_graded: list = field(default_factory=list)     # (student, submission, status, message)

    def report(self):
        lines = []
        for name, why in self.unmatched:
            lines.append(f"unmatched submission {name}: {why}")
        for student, subs in self.conflicts:
            lines.append(f"student {student} has {len(subs)} submissions ({', '.join(subs)}): left empty; give "
                         "--mapping to choose one")
        for student in self.missing:
            lines.append(f"no submission from {student}")
        for student, name, status, message in self.not_graded:
            lines.append(f"not graded: {student} ({name}: {status}{', ' + message if message else ''}): left empty")
        return "\n".join(lines)


def read_csv_rows(path, what, required):
    """[(row number, row)] of a CSV file whose header holds `required`; ExportError naming what is wrong."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ExportError(f"{path}: the {what} needs the column(s) {', '.join(missing)} in its first row "
                                  f"(found: {', '.join(reader.fieldnames or []) or 'nothing'}).")
            return [(reader.line_num, row) for row in reader], reader.fieldnames
    except OSError as e:
        raise ExportError(f"{path}: cannot be read ({e.strerror}).") from None


def read_roster(path, id_column):
    """(students [row dicts], header) with ids checked: none empty, none twice; the Canvas export's
    'Points Possible' row (and other rows without a student) left out."""
    rows, header = read_csv_rows(path, "roster", ["Student", id_column])
    students, seen, errors = [], {}, []
    for line, row in rows:
        if not (row["Student"] or "").strip() or row["Student"].strip().startswith("Points Possible"):
            continue
        key = (row[id_column] or "").strip()
        if not key:
            errors.append(f"row {line}: {row['Student']} has no {id_column}")
        elif key in seen:
            errors.append(f"row {line}: {id_column} {key} is also in row {seen[key]}")
        else:
            seen[key] = line
            students.append(row)
    if errors:
        raise ExportError(f"{path}: fix these rows of the roster:\n" + "\n".join(f"  {e}" for e in errors))
    return students, header


def read_mapping(path, submissions, ids):
    """{submission: student id} from a mapping file (columns submission, student)."""
    rows, _ = read_csv_rows(path, "mapping", ["submission", "student"])
    mapping, errors = {}, []
    for line, row in rows:
        name, student = (row["submission"] or "").strip(), (row["student"] or "").strip()
        if name not in submissions:
            errors.append(f"row {line}: no graded submission is named {name!r}")
        elif student not in ids:
            errors.append(f"row {line}: {student!r} is not an id of the roster")
        elif name in mapping:
            errors.append(f"row {line}: {name} is mapped twice")
        else:
            mapping[name] = student
    if errors:
        raise ExportError(f"{path}: fix these rows of the mapping:\n" + "\n".join(f"  {e}" for e in errors))
    return mapping


def words_of(name):
    """The whole words of a submission's file name, lower case: its stem and the stem's parts."""
    stem = Path(name).stem.lower()
    return {stem, *re.split(r"[^a-z0-9@.]+", stem)} - {""}


def match(submissions, students, id_column):
    """({submission: student id}, [(submission, why not)]) by Canvas names, then whole words."""
    by_canvas_id = {s["ID"].strip(): s[id_column].strip() for s in students if (s.get("ID") or "").strip()}
    columns = [c for c in MATCH_COLUMNS if students and c in students[0]] or [id_column]
    matched, unmatched = {}, []
    for name in submissions:
        canvas = CANVAS_NAME.match(Path(name).name)
        if canvas and canvas.group(1) in by_canvas_id:
            matched[name] = by_canvas_id[canvas.group(1)]
            continue
        words = words_of(name)
        found = {s[id_column].strip() for s in students for c in columns if (s.get(c) or "").strip().lower() in words}
        if len(found) == 1:
            matched[name] = found.pop()
        elif found:
            unmatched.append((name, f"it names several students ({', '.join(sorted(found))})"))
        else:
            unmatched.append((name, f"no student's {' or '.join(columns)} is a word of its name"))
    return matched, unmatched


def build_export(book, students, id_column, mapping=None):
    """The Export of gradebook `book` for the roster `students`."""
    rows_by_name = {row["submission"]: row for row in book.rows()}
    matched, unmatched = (mapping, [(n, "not in the mapping file") for n in rows_by_name if n not in mapping]) \
        if mapping is not None else match(sorted(rows_by_name), students, id_column)
    by_student = {}
    for name, student in matched.items():
        by_student.setdefault(student, []).append(name)
    possible = book.possible
    export = Export([], possible, unmatched)
    for s in students:
        key, label = s[id_column].strip(), f"{s['Student'].strip()} ({s[id_column].strip()})"
        names = sorted(by_student.get(key, []))
        total, submission = "", ""
        if not names:
            export.missing.append(label)
        elif len(names) > 1:
            export.conflicts.append((label, names))
        else:
            submission, row = names[0], rows_by_name[names[0]]
            if row["status"] == "graded":
                total = row["total"]
            else:
                export.not_graded.append((label, submission, row["status"], row["message"]))
        export.rows.append({**s, "submission": submission, "total": total})
    return export


def write_canvas(export, path, header, title):
    """Canvas's gradebook import: the roster's identity columns, a points-possible row, one column."""
    identity = [c for c in CANVAS_COLUMNS if c in header] or ["Student"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*identity, title])
    writer.writerow(["Points Possible", *[""] * (len(identity) - 1), f"{export.possible:g}"])
    writer.writerows([[row.get(c, "") for c in identity] + [row["total"]] for row in export.rows])
    write_atomic(path, out.getvalue())


def write_plain(export, path, id_column, title):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "id", "submission", title, "possible"])
    writer.writerows([[row["Student"], row[id_column], row["submission"], row["total"], f"{export.possible:g}"]
                      for row in export.rows])
    write_atomic(path, out.getvalue())


def export_grades(folder, lab, roster, fmt="canvas", title=None, id_column="ID", mapping=None, out=None):
    """Write the LMS file and export-report.txt for the gradebook in `folder`; returns (Export, path)."""
    folder = Path(folder)
    students, header = read_roster(roster, id_column)
    book = Gradebook.open(folder, lab)
    try:
        given = read_mapping(mapping, set(book.results), {s[id_column].strip() for s in students}) \
            if mapping else None
        export = build_export(book, students, id_column, given)
    finally:
        book.close()
    path = Path(out) if out else folder / f"gradebook-{fmt}.csv"
    title = title or lab.name
    if fmt == "canvas":
        write_canvas(export, path, header, title)
    else:
        write_plain(export, path, id_column, title)
    write_atomic(folder / "export-report.txt", (export.report() or "every submission matched one student") + "\n")
    return export, path
