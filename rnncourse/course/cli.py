"""The `rnncourse` command: build, list and grade the labs of a course checkout."""

import argparse
import sys

from .build import BuildError, build, summary
from .demo import demo
from .grade import DEFAULT_TIMEOUT, GradeError, grade
from .gradebook import GradebookError
from .labs import LabError, find_course_root, select_labs
from .settings import SettingsError


def cmd_build(args):
    root = find_course_root()
    labs = build(root, args.labs)
    print(f"\nBuilt {len(labs)} lab(s): student notebooks in labs/, autograder zips in dist/<lab>/.\n")
    print(summary(labs))


def cmd_list(args):
    labs = select_labs(find_course_root(), args.labs)
    for lab in labs:
        print(f"{lab.name}  {lab.title}  ({lab.points:g} points)")
        for q in lab.questions:
            kind = "written" if q.manual else f"{q.points:g} pt"
            print(f"    {q.name:<28} {kind}")


def cmd_grade(args):
    book = grade(find_course_root(), args.lab, args.paths, out=args.out, jobs=args.jobs, timeout=args.timeout,
                 force=args.force, docker=args.docker)
    print(book.summary())


def cmd_demo(args):
    demo(find_course_root(), args.labs, jobs=args.jobs)


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
                       description="Grade .ipynb submissions (and grader.export() zips) of one lab with Otter, "
                                   "each in its own process and temporary folder. A rerun grades only what is "
                                   "missing or changed.")
    g.add_argument("lab", metavar="LAB", help="lab number or name")
    g.add_argument("paths", nargs="+", metavar="PATH", help="submission files or folders of them")
    g.add_argument("--out", metavar="DIR", help="gradebook folder (default: grades-<lab> here)")
    g.add_argument("--jobs", type=positive(int), metavar="N",
                   help="submissions graded at once (default: the number of cores)")
    g.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"stop a submission after this long (default: {DEFAULT_TIMEOUT})")
    g.add_argument("--force", action="store_true", help="grade every submission again")
    g.add_argument("--docker", action="store_true", help="grade with `otter grade` in Docker containers instead")
    g.set_defaults(run=cmd_grade)
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
    except (LabError, SettingsError, BuildError, GradeError, GradebookError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: the submissions graded so far are kept; run the same command again to "
              "grade the rest.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
