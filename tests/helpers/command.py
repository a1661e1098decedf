"""`rnncourse ARGS` run in this process, as tests of the command line call it."""

import contextlib
import io
import os
import subprocess

from rnncourse.course.cli import main


def rnncourse(*args, cwd):
    """`rnncourse ARGS` run in folder `cwd`, in this process (a new one would spend seconds on imports):
    its exit code and what it printed, as subprocess.run would give them."""
    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:         # argparse refusing the arguments
                code = e.code
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
