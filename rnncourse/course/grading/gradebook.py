"""The gradebook folder of one lab: a result per submission, and the CSV, feedback and plot made from them.

Layout of a gradebook folder (`rnncourse grade --out DIR`):

    gradebook.json              which lab these grades are for (a folder holds one lab's grades)
    results/<name>-<hash>.json  one result per submission, each written atomically as it finishes
    grades.csv                  one row per submission, sorted by name, rebuilt from the results
    feedback/<name>.txt         what the student may see: per question the score and the public tests
    totals.png                  histogram of the totals of graded submissions
    manual.json                 the written questions' scores, once `rnncourse merge` brought them in:
                                {submission: {question: {"points": p, "comment": text}}}; from then
                                on grades.csv has their columns and counts them in total and possible

Each result is a Result (result.py) in its JSON form. A submission whose result matches its file
and the autograder is not graded again (resume), unless it timed out and the new limit is longer.
"""

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from ..files import shown, write_atomic
from .result import STATUSES, Result

MARKER = "gradebook.json"
MANUAL = "manual.json"


class GradebookError(Exception):
    """The output folder cannot hold this lab's grades; the message says why and what to do."""


def result_file_name(submission):
    """A file name for a submission's result: readable, and distinct for distinct names."""
    readable = re.sub(r"[^\w.-]+", "_", submission)[:80]
    return f"{readable}-{hashlib.sha1(submission.encode()).hexdigest()[:8]}.json"


def number(x):
    """Points as the CSV and the feedback show them: at most 4 decimals, no trailing zeros."""
    return "" if x is None else f"{round(float(x), 4):g}"


class Gradebook:
    """The grades of one lab in one folder. Open it with Gradebook.open; it holds a lock until close()."""

    def __init__(self, folder, lab, lock):
        self.folder = Path(folder)
        self.lab = lab
        self._lock = lock
        self.results = {}
        for path in sorted((self.folder / "results").glob("*.json")):
            result = Result.from_json(path.read_text(encoding="utf-8"))
            self.results[result.submission] = result
        manual = self.folder / MANUAL
        self.manual = json.loads(manual.read_text(encoding="utf-8")) if manual.is_file() else None

    @classmethod
    def open(cls, folder, lab):
        """The gradebook of `lab` (a labs.Lab) in `folder`, created if missing.

        Raises GradebookError if the folder holds another lab's grades, holds other files, or is
        in use by another `rnncourse grade`.
        """
        folder = Path(folder)
        marker = folder / MARKER
        if folder.exists() and not folder.is_dir():
            raise GradebookError(f"{folder} is a file; give --out a folder for the grades.")
        if marker.is_file():
            owner = json.loads(marker.read_text(encoding="utf-8")).get("lab")
            if owner != lab.name:
                raise GradebookError(f"{folder} holds the grades of lab {owner}, not {lab.name}. "
                                     f"Give another --out folder (the default is grades-{lab.name}).")
        elif folder.is_dir() and any(folder.iterdir()):
            raise GradebookError(f"{folder} already holds other files and no {MARKER}, so it is not a "
                                 "gradebook folder. Give --out a new or empty folder.")
        else:
            write_atomic(marker, json.dumps({"lab": lab.name}, indent=1) + "\n")
        import fcntl  # POSIX only, like the forking grader that writes here

        lock = open(marker)     # noqa: SIM115 (held open until close(): the lock lasts as long as it does)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise GradebookError(f"another `rnncourse grade` is writing to {folder}; wait for it to "
                                 "finish (or stop it) and run again.") from None
        for leftover in folder.rglob(".*.tmp"):      # half-written files of a run that was killed
            leftover.unlink()
        return cls(folder, lab, lock)

    def close(self):
        self._lock.close()

    def is_current(self, submission, sha256, autograder, timeout):
        """Whether `submission` already has a result for this very file and autograder. A timeout
        counts only when the new time limit is no longer: a larger --timeout grades it again."""
        done = self.results.get(submission)
        return (bool(done) and done.sha256 == sha256 and done.autograder == autograder
                and not (done.status == "timeout" and timeout > done.timeout))

    def record(self, result):
        """Keep `result` (a Result): its JSON first (the record that resume trusts), then its feedback
        and the CSV."""
        self.results[result.submission] = result
        write_atomic(self.folder / "results" / result_file_name(result.submission), result.to_json())
        self.write_feedback(result)
        self.write_csv()

    @property
    def written(self):
        """The written questions the grades count: all of them once a merge brought marks in (even
        none yet), none before."""
        return [q for q in self.lab.questions if q.manual] if self.manual is not None else []

    @property
    def possible(self):
        """The points a graded submission can earn: the autograded ones, and the written ones counted."""
        return self.lab.points + sum(q.points for q in self.written)

    @property
    def questions(self):
        """The CSV's question columns: the autograded ones, then the written ones once merged."""
        return [q.name for q in self.lab.autograded] + [q.name for q in self.written]

    def set_manual(self, scores):
        """Keep the written questions' scores ({submission: {question: {points, comment}}}), replacing
        any merged before, then bring the feedback and the CSV up to date."""
        self.manual = scores
        write_atomic(self.folder / MANUAL, json.dumps(scores, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        for result in self.results.values():
            self.write_feedback(result)
        self.write_csv()

    def rows(self):
        """The gradebook as dicts with the CSV's columns, sorted by submission name."""
        rows = []
        for name in sorted(self.results):
            r = self.results[name]
            marked = {q: s["points"] for q, s in (self.manual or {}).get(name, {}).items()}
            row = {"submission": name, "status": r.status,
                   "total": number(r.total + sum(marked.values()) if r.graded else None),
                   "possible": number(r.possible + sum(q.points for q in self.written) if r.graded else None)}
            for q in self.lab.autograded:
                row[q.name] = number(r.scores.get(q.name)) if r.graded else ""
            for q in self.written:
                row[q.name] = number(marked.get(q.name))
            row["message"] = r.message
            rows.append(row)
        return rows

    def write_csv(self):
        out = io.StringIO()
        writer = csv.DictWriter(out, ["submission", "status", "total", "possible", *self.questions, "message"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())
        write_atomic(self.folder / "grades.csv", out.getvalue())

    def feedback_path(self, submission):
        return self.folder / "feedback" / f"{submission}.txt"

    def write_feedback(self, result):
        marked = (self.manual or {}).get(result.submission, {})
        write_atomic(self.feedback_path(result.submission), feedback_text(result, self.lab, marked))

    def finish(self):
        """Bring every file up to date (a killed run may have left a feedback file behind) and plot."""
        for result in self.results.values():
            self.write_feedback(result)
        self.write_csv()
        self.plot_totals(self.folder / "totals.png")

    def plot_totals(self, path):
        """A histogram of the totals of graded submissions, in points out of the lab's total."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        totals = [r.total for r in self.results.values() if r.graded]
        fig = Figure(figsize=(6, 3.5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        possible = self.lab.points
        ax.hist(totals, bins=max(1, min(20, round(2 * possible))), range=(0, possible), color="tab:blue",
                edgecolor="white")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"total (points out of {possible:g})")
        ax.set_ylabel("submissions")
        ax.set_title(f"{self.lab.name}: {len(totals)} graded of {len(self.results)} submissions")
        fig.tight_layout()
        fig.savefig(path, dpi=100)

    def summary(self):
        """Counts by status, the mean total and each question's mean, over graded submissions."""
        results = list(self.results.values())
        counts = ", ".join(f"{s} {sum(r.status == s for r in results)}" for s in STATUSES)
        graded = [r for r in results if r.graded]
        lines = [f"{self.lab.name}: {len(results)} submissions ({counts})"]
        if graded:
            mean = sum(r.total for r in graded) / len(graded)
            lines.append(f"  mean total of graded: {mean:.2f} / {self.lab.points:g}")
            for q in self.lab.autograded:
                q_mean = sum(r.scores.get(q.name, 0) for r in graded) / len(graded)
                lines.append(f"  {q.name:<28} mean {q_mean:.2f} / {q.points:g}")
        lines.append(f"  gradebook {shown(self.folder / 'grades.csv')}, feedback in {shown(self.folder / 'feedback')}, "
                     f"histogram {shown(self.folder / 'totals.png')}")
        return "\n".join(lines)

    def table(self):
        """The gradebook as an aligned text table, for printing."""
        columns = ["submission", "status", "total", *self.questions, "message"]
        rows = [[row[c] if c != "message" else row[c][:60] for c in columns] for row in self.rows()]
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
        return "\n".join(lines)


def feedback_text(result, lab, marked=None):
    """What a student may see about their submission: per question the score, the public tests,
    and how many of the hidden tests passed; the written questions' marks and comments once merged
    (`marked`: {question: {points, comment}}). The hidden tests' names, code and inputs stay out."""
    lines = [f"Lab {lab.name}, submission {result.submission}"]
    if not result.graded:
        lines += [f"Not graded ({result.status}): {result.message}",
                  "Fix this and hand in again, or ask your TA."]
        return "\n".join(lines) + "\n"
    lines += [f"Score: {number(result.total)} / {number(result.possible)}", ""]
    for q in lab.autograded:
        lines.append(f"{q.name}: {number(result.scores.get(q.name, 0))} / {q.points:g}")
        public = result.public.get(q.name, "").strip()
        lines += [f"    {line}" for line in (public.splitlines() or ["(no public tests)"])]
        if q.name in result.hidden:
            passed, total = result.hidden[q.name]
            lines.append(f"    hidden tests: {passed} of {total} passed")
    manual = [q for q in lab.questions if q.manual]
    lines.append("")
    if manual and marked:
        lines.append("Written answers, marked by hand:")
        for q in manual:
            mark = marked.get(q.name)
            lines.append(f"{q.name}: {number(mark['points'])} / {q.points:g}" if mark else f"{q.name}: not marked yet")
            if mark and mark.get("comment"):
                lines.append(f"    {mark['comment']}")
        total = result.total + sum(m["points"] for m in marked.values())
        possible = result.possible + sum(q.points for q in manual)
        lines += [f"Total, written answers included: {number(total)} / {number(possible)}", ""]
    elif manual:
        lines.append(f"Written answers ({', '.join(q.name for q in manual)}) are marked by hand and are not in "
                     "this score.")
    lines.append("The public tests are the checks in your notebook; hidden tests, run on other inputs, "
                 "decide the rest of each score.")
    return "\n".join(lines) + "\n"
