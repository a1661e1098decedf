"""The `rnncourse` command: build and list the labs of a course checkout."""

import argparse
import sys

from .build import BuildError, build, summary
from .labs import LabError, find_course_root, select_labs


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


def parser():
    p = argparse.ArgumentParser(prog="rnncourse", description="Build, list and grade the course's labs.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="Otter Assign every lab (or those named) into dist/ and labs/")
    b.add_argument("labs", nargs="*", help="lab numbers or names (default: all)")
    b.set_defaults(run=cmd_build)
    ls = sub.add_parser("list", help="show labs, questions and points")
    ls.add_argument("labs", nargs="*", help="lab numbers or names (default: all)")
    ls.set_defaults(run=cmd_list)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (LabError, BuildError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
