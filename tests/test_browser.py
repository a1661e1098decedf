"""A student in JupyterLab, in a real browser: Debian's Chromium driven by Playwright.

JupyterLab serves a copy of labs/01-forward.ipynb on 127.0.0.1. As a student would, the test runs
the cells from the first one down to the first question's answer, types the correct answer, runs
its check and reads "passed" off the page; types a wrong one (* for @) and reads the failure; saves, and
runs grader.submit(), which writes the zip. Each step leaves a screenshot in a folder named at the
end of the test run.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnncourse.course.authoring.answers import answer_cell

from helpers.chromium import launch, needs_chromium

REPO = Path(__file__).resolve().parents[1]
LAB, QUESTION = "01-forward", "forward"
# A classic slip the public check catches: * multiplies elementwise (and broadcasts to 2×2), @ is the product.
WRONG = "h1 = relu(U * x1 + V * h0)\no1 = W * h1\nh2 = relu(U * x2 + V * h1)\no2 = W * h2"

pytestmark = [pytest.mark.slow, needs_chromium]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab serving a folder that holds the student notebook: (url with token, folder)."""
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(REPO / "labs" / f"{LAB}.ipynb", folder)
    port, token = free_port(), secrets.token_hex(16)
    private = {name: str(tmp_path / "jupyter" / name) for name in ("config", "data", "runtime", "workspaces")}
    env = {**os.environ, "JUPYTER_CONFIG_DIR": private["config"],
           "JUPYTER_RUNTIME_DIR": private["runtime"], "JUPYTERLAB_WORKSPACES_DIR": private["workspaces"]}
    # No "get notified about Jupyter news?" pop-up over the outputs (and no attempt to fetch news).
    news = Path(private["config"]) / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    log = tmp_path / "jupyterlab.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                                   f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
                                   *(["--allow-root"] if os.geteuid() == 0 else [])],        # CI runs as root
                                  cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
    yield f"{url}/lab/tree/{LAB}.ipynb?token={token}", folder
    server.terminate()
    server.wait(timeout=30)


def test_a_student_answers_checks_and_hands_in_in_jupyterlab(jupyterlab, built, note, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, folder = jupyterlab
    student = nbformat.read(REPO / "labs" / f"{LAB}.ipynb", as_version=4)
    answer, check = answer_cell(student, QUESTION)
    solved = nbformat.read(built.solved_notebook(LAB), as_version=4)
    correct = re.sub(r"\s*# SOLUTION", "", solved.cells[answer_cell(solved, QUESTION)[0]].source)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    note(f"JupyterLab test screenshots: {shots}")

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)      # the first cell imports torch and Otter: seconds, more under load
        step = iter(range(1, 100))

        def shot(name):
            page.screenshot(path=shots / f"{next(step):02d}-{name}.png")

        def cell(index):
            return page.locator(".jp-Notebook .jp-Cell").nth(index)

        def run(index, timeout=60_000):
            """Click into a code cell, press Shift+Enter, wait for its execution count."""
            cell(index).locator(".cm-content").click()
            page.keyboard.press("Shift+Enter")
            expect(cell(index).locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[\d+\]"),
                                                                              timeout=timeout)

        def type_answer(code):
            editor = cell(answer).locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(code)       # as pasted: no auto-indent or closing brackets
            expect(editor).to_contain_text(code.splitlines()[-1])

        try:
            page.goto(url)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()      # the kernel is up
            shot("opened")
            for index, c in enumerate(student.cells[:answer]):
                if c.cell_type == "code":
                    run(index)
            shot("first-cells-run")

            type_answer(correct)
            run(answer)
            run(check)
            expect(cell(check).locator(".jp-OutputArea")).to_contain_text(re.compile(rf"{QUESTION}\s+passed!"))
            shot("correct-answer-passes")

            type_answer(WRONG)
            run(answer)
            run(check)
            failed = cell(check).locator(".jp-OutputArea")
            expect(failed).to_contain_text(re.compile(rf"{QUESTION} results:.*h1 should have 2 elements", re.S))
            expect(failed).not_to_contain_text("passed!")
            shot("wrong-answer-fails")

            page.keyboard.press("Control+s")
            expect(page.locator(".jp-mod-dirty")).to_have_count(0)
            submit = next(i for i, c in enumerate(student.cells) if c.source == "grader.submit()")
            run(submit, timeout=240_000)
            handed = cell(submit).locator(".jp-OutputArea")
            expect(handed).to_contain_text("Your submission has been exported")
            expect(handed).not_to_contain_text("TCP without encryption")      # no alarming noise
            shot("handed-in")
        except Exception:
            shot("failure")
            raise
        finally:
            browser.close()

    (handed_in,) = folder.glob(f"{LAB}_*.zip")
    with zipfile.ZipFile(handed_in) as zf:
        saved = nbformat.reads(zf.read(f"{LAB}.ipynb").decode(), as_version=4)
    assert saved.cells[answer].source == WRONG, "the zip does not hold what the student typed and saved"
