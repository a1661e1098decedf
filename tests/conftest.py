"""Fixtures every test module may use, and the plugins that build the course and grade its contract.

    helpers/course.py    the course built once per run (`built`), a test per lab (`lab`), `demo_run`
    helpers/contract.py  the grading contract's submissions, graded once per run (`contract`)
    helpers/cache.py     what those two keep in pytest's cache folder, keyed by content
"""

from pathlib import Path

import pytest

pytest_plugins = ["helpers.course", "helpers.contract"]

NOTES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[NOTES] = []


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(NOTES, []):
        terminalreporter.write_line(line)


@pytest.fixture
def note(request):
    """note(line): printed at the end of the run, e.g. where a test left files worth a look."""
    return request.config.stash[NOTES].append


@pytest.fixture(scope="module")
def one_thread():
    """Small tensors: one torch thread is faster, and far faster when other processes share the cores."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def cache_dir(request, tmp_path_factory):
    """pytest's cache folder for this project (a temporary one under -p no:cacheprovider)."""
    cache = getattr(request.config, "cache", None)
    return Path(cache.mkdir("rnncourse")) if cache else tmp_path_factory.mktemp("rnncourse-cache")
