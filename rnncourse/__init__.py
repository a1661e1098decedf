"""rnncourse: helpers for an autograded course on recurrent neural networks.

Teaching code, one idea per module:
    rnn        the vanilla RNN forward step and its unrolling (lab 01)
    bigram     bigram language models and their exact RNN form (lab 02)
    numpy_rnn  binary addition with an RNN in NumPy: layers, BPTT, RMSprop with Nesterov momentum (lab 05)
    echo       the echo task's data and windows, for truncated BPTT (lab 06)
    sequences  padding, packed RNN runs and last valid states for unequal lengths (lab 07)
    recall     the first-bit recall task: one bit held across a delay of noise (lab 11)
    gated      plain, GRU and LSTM classifiers, their cells unrolled state by state, the figures (lab 11)
    rate       spikeRNN's rate RNN for cognitive tasks (python -m rnncourse.rate)
    graphs     computation graphs drawn with torchviz (labs 01, 03)
    gradcheck  numerical gradients to check hand-written backward passes
    seeding    one call that seeds Python, NumPy and torch
    device     picking cpu / cuda / mps

Course tooling (authoring, grading, TA tools, what runs in a kernel) lives in rnncourse.course.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rnncourse")      # pyproject.toml's, the one place it is written
except PackageNotFoundError:                 # imported from a checkout that was never installed
    __version__ = "0+unknown"


def start_lab(lab):
    """Set up the autograder for a lab from inside its notebook; see rnncourse.course.kernel.student."""
    from rnncourse.course.kernel.student import start_lab as _start_lab

    return _start_lab(lab)
