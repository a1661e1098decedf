"""The `rnncourse` command: build, list, publish and grade the labs of a course checkout, and mark written answers."""

import argparse
import json
import sys
from pathlib import Path

from .authoring.build import BuildError, build, ensure_built, summary
from .authoring.labs import LabError, find_course_root, select_labs
from .authoring.publish import PublishError, check, publish
from .authoring.settings import SettingsError
from .demo import demo
from .files import shown
from .grading.errors import GradeError
from .grading.grade import DEFAULT_TIMEOUT, grade
from .grading.gradebook import MARKER, GradebookError
from .grading.sandbox import Sandbox, parse_size
from .ta.export import ExportError, export_grades
from .ta.merge import MergeError, merge
from .ta.review import SHEET, review


def cmd_build(args):
    root = find_course_root()
    labs = build(root, args.labs)
    print(f"\nBuilt {len(labs)} lab(s): student notebooks in labs/, autograder zips in dist/<lab>/.\n")
    print(summary(labs))


def cmd_publish(args):
    root = find_course_root()
    if args.check:
        if check(root, args.dest):
            raise PublishError(f"{args.dest} holds secrets of the course: remove them (publish again to "
                               "rewrite the files it wrote).")
    else:
        publish(root, args.dest, wheel=args.wheel)


def cmd_list(args):
    labs = select_labs(find_course_root(), args.labs)
    for lab in labs:
        print(f"{lab.name}  {lab.title}  ({lab.points:g} points)")
        for q in lab.questions:
            kind = "written" if q.manual else f"{q.points:g} pt"
            print(f"    {q.name:<28} {kind}")


def cmd_grade(args):
    sandbox = Sandbox(mode="none" if args.unsafe else "namespaces", memory=parse_size(args.memory),
                      memory_label=args.memory, network=args.network)
    root = find_course_root()
    (lab,) = select_labs(root, [args.lab])
    ensure_built(root, lab)
    book = grade(root, lab.name, args.paths, out=args.out, jobs=args.jobs, timeout=args.timeout,
                 force=args.force, docker=args.docker, sandbox=sandbox)
    print(book.summary())


def gradebook_of(args):
    """(lab, gradebook folder) of a review or merge command: --grades, or grades-<lab> here."""
    (lab,) = select_labs(find_course_root(), [args.lab])
    folder = Path(args.grades or f"grades-{lab.name}")
    if not (folder / MARKER).is_file():
        raise GradebookError(f"{folder} holds no grades: run `rnncourse grade {args.lab} ... --out {folder}` "
                             "first, or give --grades DIR.")
    return lab, folder


def cmd_review(args):
    lab, folder = gradebook_of(args)
    index = review(folder, lab, names=args.names)
    print(f"Written answers of {lab.name}: open {shown(index)}; score them in {shown(folder / SHEET)}, "
          f"then run `rnncourse merge {args.lab}{f' --grades {args.grades}' if args.grades else ''}`.")


def cmd_merge(args):
    lab, folder = gradebook_of(args)
    merged, unmarked = merge(folder, lab, args.sheet)
    print(f"Merged {merged} written-answer scores into {shown(folder / 'grades.csv')} and the feedback"
          + (f"; {unmarked} answers have no points yet." if unmarked else "."))


def cmd_export(args):
    folder = Path(args.dir)
    if not (folder / MARKER).is_file():
        raise GradebookError(f"{folder} holds no grades: give the folder `rnncourse grade --out` wrote.")
    (lab,) = select_labs(find_course_root(), [json.loads((folder / MARKER).read_text())["lab"]])
    export, path = export_grades(folder, lab, args.roster, args.format, args.title, args.id_column, args.mapping,
                                 args.out)
    graded = sum(bool(row["total"]) for row in export.rows)
    print(f"Wrote {shown(path)}: {len(export.rows)} students, {graded} with a score, out of {export.possible:g}.")
    if export.report():
        print(f"To look at (also in {shown(folder / 'export-report.txt')}):\n" + export.report())


def cmd_demo(args):
    demo(find_course_root(), args.labs, jobs=args.jobs)


def size(text):
    """--memory's value, checked (and kept as written, for messages)."""
    try:
        parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
        return value
    return parse


def parser():
    p = argparse.ArgumentParser(prog="rnncourse", description="Build, list and grade the course's labs.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="Otter Assign every lab (or those named) into dist/ and labs/")
    b.add_argument("labs", nargs="*", help="lab numbers or names (default: all)")
    b.set_defaults(run=cmd_build)
    ls = sub.add_parser("list", help="show labs, questions and points")
    ls.add_argument("labs", nargs="*", help="lab numbers or names (default: all)")
    ls.set_defaults(run=cmd_list)
    g = sub.add_parser("grade", help="grade submissions of a lab in parallel into a gradebook folder",
                       description="Grade .ipynb submissions (and grader.submit() zips) of one lab, each "
                                   "notebook in a sandboxed kernel and the lab's tests outside it. A rerun grades "
                                   "only what is missing or changed.")
    g.add_argument("lab", metavar="LAB", help="lab number or name")
    g.add_argument("paths", nargs="+", metavar="PATH", help="submission files or folders of them")
    g.add_argument("--out", metavar="DIR", help="gradebook folder (default: grades-<lab> here)")
    g.add_argument("--jobs", type=positive(int), metavar="N",
                   help="submissions graded at once (default: the number of cores)")
    g.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"stop a submission after this long (default: {DEFAULT_TIMEOUT})")
    g.add_argument("--force", action="store_true", help="grade every submission again")
    g.add_argument("--docker", action="store_true", help="grade with `otter grade` in Docker containers instead")
    g.add_argument("--memory", type=size, metavar="SIZE", default=Sandbox.memory_label,
                   help=f"cap each submission's memory (default {Sandbox.memory_label}): past it, status error, "
                        "'out of memory'")
    g.add_argument("--network", action="store_true", help="let submissions reach the network (by default they cannot)")
    g.add_argument("--no-network", action="store_true", help=argparse.SUPPRESS)     # the default since 0.2
    g.add_argument("--unsafe", action="store_true",
                   help="grade without a sandbox (where the machine allows none): submissions run as you")
    g.set_defaults(run=cmd_grade)
    r = sub.add_parser("review", help="one page per written question with every answer, and a score sheet",
                       description="Write review/<question>.html (every submission's answer, by anonymous code) "
                                   f"and {SHEET} (a row per answer to fill) into the gradebook folder.")
    r.add_argument("lab", metavar="LAB", help="lab number or name")
    r.add_argument("--grades", metavar="DIR", help="gradebook folder (default: grades-<lab> here)")
    r.add_argument("--names", action="store_true", help="show submission names instead of codes")
    r.set_defaults(run=cmd_review)
    m = sub.add_parser("merge", help="bring the filled score sheet into grades.csv and the feedback",
                       description="Check every row of the score sheet, then add the written questions' columns "
                                   "to grades.csv (total and possible included) and the comments to the feedback.")
    m.add_argument("lab", metavar="LAB", help="lab number or name")
    m.add_argument("--grades", metavar="DIR", help="gradebook folder (default: grades-<lab> here)")
    m.add_argument("--sheet", metavar="FILE", help=f"the filled score sheet (default: DIR/{SHEET})")
    m.set_defaults(run=cmd_merge)
    e = sub.add_parser("export", help="the gradebook keyed by student, for an LMS (Canvas) to import",
                       description="Match submissions to the students of a roster (Canvas's export, or any CSV with "
                                   "Student and an id column) and write an importable gradebook; list what did not "
                                   "match.")
    e.add_argument("dir", metavar="DIR", help="gradebook folder (`rnncourse grade --out`)")
    e.add_argument("--roster", required=True, metavar="ROSTER.csv", help="students: Student, ID, ... (Canvas export)")
    e.add_argument("--format", choices=["canvas", "csv"], default="canvas", help="canvas (default) or a plain csv")
    e.add_argument("--title", help="the assignment's column, as the LMS names it, e.g. 'Lab 01 (4512)' "
                                   "(default: the lab's name)")
    e.add_argument("--id-column", default="ID", metavar="COLUMN", help="the roster's student id column (default: ID)")
    e.add_argument("--mapping", metavar="FILE", help="CSV of submission,student (the roster id) instead of matching")
    e.add_argument("--out", metavar="FILE", help="where to write (default: DIR/gradebook-<format>.csv)")
    e.set_defaults(run=cmd_export)
    pub = sub.add_parser("publish", help="write the students' course (notebooks, syllabus, site) into DEST",
                         description="Write the student notebooks, a syllabus README, LICENSE, ATTRIBUTION.md and "
                                     "the course site into DEST (a clone of the students' public repository), after "
                                     "checking that no file holds a solution, hidden test, fixture or rubric. "
                                     "Again: updates DEST in place and prints what changed.")
    pub.add_argument("dest", metavar="DEST", help="the folder to publish into (its .git is left alone)")
    pub.add_argument("--wheel", action="store_true", help="put the package's wheel in DEST/dist and make every "
                     "first cell install it from the student repository (no package index needed)")
    pub.add_argument("--check", action="store_true", help="only check an existing DEST for secrets")
    pub.set_defaults(run=cmd_publish)
    d = sub.add_parser("demo", help="grade demo submissions of each lab (correct, partly wrong, blank, broken)")
    d.add_argument("labs", nargs="*", help="lab numbers or names (default: all)")
    d.add_argument("--jobs", type=positive(int), metavar="N",
                   help="submissions graded at once (default: the number of cores)")
    d.set_defaults(run=cmd_demo)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (LabError, SettingsError, BuildError, PublishError, GradeError, GradebookError, MergeError,
            ExportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: the submissions graded so far are kept; run the same command again to "
              "grade the rest.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
