"""The few Linux process controls grading uses (prctl), named; each does nothing on other systems.

Also the environment variables that set how many threads math libraries start, which every
grading process sets for itself and for the kernel it starts.
"""

import ctypes
import signal
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

PR_SET_PDEATHSIG = 1            # a signal this process gets when its parent dies
PR_SET_NAME = 15                # the process name that ps and top show
PR_SET_CHILD_SUBREAPER = 36     # orphaned descendants are adopted by this process, not by init
PR_SET_NO_NEW_PRIVS = 38        # no execve may grant privileges (setuid bits, file capabilities)

ON_LINUX = sys.platform.startswith("linux")


def prctl(option, value):
    """prctl(option, value); OSError if the kernel refuses."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl({option}): {__import__('os').strerror(error)}")


def die_with_parent():
    """SIGKILL this process when its parent dies."""
    if ON_LINUX:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def adopt_orphans():
    """Become the parent of any descendant whose own parent dies (so it can be found and stopped)."""
    if ON_LINUX:
        prctl(PR_SET_CHILD_SUBREAPER, 1)


def set_name(name):
    """The name ps and top show for this process (at most 15 bytes)."""
    if ON_LINUX:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
