"""`rnncourse merge`: the filled score sheet of the written questions, into grades.csv and the feedback.

The sheet is the manual-scores.csv that `rnncourse review` wrote (submission, question, points,
comment). A submission is named by its review code or its name. Rows without points are not
marked yet and are left out. Every row is checked before anything is written: an unknown
submission or question, points that are not a number or out of range, or a pair scored twice
stops the merge with the row numbers, and the gradebook stays as it was. The sheet replaces what
an earlier merge brought in, so merging again after a correction gives what merging once gives.
"""

import csv
import math
from pathlib import Path

from ..grading.gradebook import Gradebook
from .review import CODES, SHEET, SHEET_COLUMNS, load_codes


class MergeError(Exception):
    """The score sheet cannot be merged; the message lists every bad row and the fix."""


def read_sheet(path, lab, submissions, codes):
    """({submission: {question: {"points", "comment"}}}, rows without points) from the sheet at
    `path`; raises MergeError naming every bad row (rows are numbered as in a spreadsheet)."""
    written = {q.name: q for q in lab.questions if q.manual}
    by_code = {code: name for name, code in codes.items()}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not set(SHEET_COLUMNS) <= set(reader.fieldnames):
                raise MergeError(f"{path}: the first row must name the columns {', '.join(SHEET_COLUMNS)} "
                                 f"(found {', '.join(reader.fieldnames or []) or 'nothing'}).")
            rows = [(reader.line_num, row) for row in reader]
    except OSError as e:
        raise MergeError(f"{path}: cannot be read ({e.strerror}).") from None
    scores, seen, errors, unmarked = {}, {}, [], 0
    for line, row in rows:
        given = (row["submission"] or "").strip()
        name = by_code.get(given, given)
        question, points = (row["question"] or "").strip(), (row["points"] or "").strip()
        if name not in submissions:
            errors.append(f"row {line}: unknown submission {given!r} (neither a code in review/{CODES} "
                          "nor a submission of this gradebook)")
            continue
        if question not in written:
            errors.append(f"row {line}: {question!r} is not a written question of {lab.name} "
                          f"(they are: {', '.join(written) or 'none'})")
            continue
        if (name, question) in seen:
            errors.append(f"row {line}: {question} of {given} is scored twice (also in row {seen[name, question]})")
            continue
        seen[name, question] = line
        if not points:
            unmarked += 1
            continue
        try:
            value = float(points)
        except ValueError:
            value = math.nan
        limit = written[question].points
        if not 0 <= value <= limit:      # also false for nan
            errors.append(f"row {line}: points {points!r} for {question} must be a number from 0 to {limit:g}")
            continue
        scores.setdefault(name, {})[question] = {"points": value, "comment": (row["comment"] or "").strip()}
    if errors:
        raise MergeError(f"{path}: nothing was merged; fix these rows and merge again:\n"
                         + "\n".join(f"  {e}" for e in errors))
    return scores, unmarked


def merge(folder, lab, sheet=None):
    """Merge the score sheet (default: folder/manual-scores.csv) into the gradebook in `folder`.
    Returns (pairs merged, pairs still without points)."""
    folder = Path(folder)
    sheet = Path(sheet) if sheet else folder / SHEET
    book = Gradebook.open(folder, lab)
    try:
        scores, unmarked = read_sheet(sheet, lab, set(book.results), load_codes(folder / "review" / CODES))
        book.set_manual(scores)
    finally:
        book.close()
    return sum(len(s) for s in scores.values()), unmarked
