"""The tests of a lab run here, in the grader, against a submission running in its kernel.

Otter's test files (the public and hidden tests the build wrote into the autograder zip) are read
and scored with Otter's own classes, so points, all-or-nothing questions and summaries mean what
they mean in Otter. What differs is where the test functions run: here, with the notebook's names
as proxies of the kernel's objects (proxies.py), never inside the kernel.

Every question's public tests run before any hidden one, so nothing a hidden test gave an answer
can come back in a public test's message; and a message shown to the student never carries the
text of a hidden test (scrub_public): each is cut to PUBLIC_LIMIT characters, and any line of a
hidden test's source in it is replaced.
"""

import inspect
import sys
from pathlib import Path

from otter.test_files import GradingResults
from otter.test_files.abstract_test import TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile

from ..kernel import wire
from . import recording

PUBLIC_LIMIT = 1500        # characters of one public test case's message
SECRET_MIN = 12            # a hidden test's source line at least this long counts as its text
REMOVED = "[text of a hidden test removed]"


class KernelFailure(Exception):
    """The kernel died, stopped answering, or broke the wire while the tests ran."""


def load_tests(folder):
    """The test files in `folder` (an autograder zip's tests/), by question name. The zip's files/
    beside it (the lab's support files: a reference several tests share) goes on the module path,
    as Otter's grading has it."""
    support = str(Path(folder).resolve().parent / "files")
    if support not in sys.path:
        sys.path.insert(0, support)
    return [ExceptionTestFile.from_file(str(path)) for path in sorted(Path(folder).glob("*.py"))]


def run_tests(test_files, env):
    """Run every test case with `env` (the notebook's names, proxies of a kernel); public cases of
    every question first, then hidden ones. Returns Otter's GradingResults.

    KernelFailure if the kernel dies or its replies break the wire's format (wire.ProtocolError
    is passed on as it is: tampering, not a failure of the submission's code).
    """
    results = {}
    for hidden in (False, True):
        for test_file in test_files:
            for case in test_file.test_cases:
                if case.hidden == hidden:
                    results[id(case)] = run_case(test_file, case, env)
    for test_file in test_files:
        test_file.test_case_results = [results[id(case)] for case in test_file.test_cases]
    return GradingResults(test_files)


def run_case(test_file, case, env):
    try:
        with recording.case(test_file.name, case.hidden):
            case.body.call_func(env)
    except (wire.ProtocolError, wire.KernelTimeout):
        raise
    except wire.KernelGone as e:
        raise KernelFailure(str(e)) from None
    except Exception as e:
        return TestCaseResult(test_case=case, message="❌ Test case failed\n" + message_of(test_file, e), passed=False)
    return TestCaseResult(test_case=case, message="✅ Test case passed", passed=True)


def message_of(test_file, error):
    """Otter's message for a failed case (the test's line and the error), or the error alone when
    the traceback is not the one Otter expects (an error raised outside the test function)."""
    try:
        return test_file._generate_error_message(error)
    except (AttributeError, IndexError):
        return f"{type(error).__name__}: {error}"


def hidden_text(test_files):
    """The lines of the hidden tests' source long enough to recognise (those no public test has
    too), and the hidden tests' names: what no message to a student may hold."""
    lines = {True: set(), False: set()}
    for test_file in test_files:
        for case in test_file.test_cases:
            function = case.body.test_func
            source = inspect.getsource(function)
            lines[case.hidden] |= {line.strip() for line in source.splitlines() if len(line.strip()) >= SECRET_MIN}
            if case.hidden:
                lines[True].add(function.__name__)
    return sorted(lines[True] - lines[False], key=len, reverse=True)


def scrub_public(results, secrets):
    """Cut each public case's message to PUBLIC_LIMIT characters and take out any hidden-test text."""
    for test_file in results.results.values():
        for result in test_file.test_case_results:
            if not result.test_case.hidden and result.message:
                result.message = scrub(result.message, secrets)


def scrub(text, secrets):
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REMOVED)
    return text if len(text) <= PUBLIC_LIMIT else text[:PUBLIC_LIMIT] + " ..."
