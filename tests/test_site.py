"""The course site `rnncourse publish` built, read in a real browser (Debian's Chromium through
Playwright) straight from the folder, with every request that leaves it refused: each page loads
without a script error or a request outside the site, every internal link and anchor resolves,
each lab's Colab link is the URL of its notebook in the student repository, the math is drawn as
MathML, and no page shows a hidden test or a solution line. A screenshot of each page is kept.
"""

import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from rnncourse.course.authoring.labs import find_labs
from rnncourse.course.authoring.leaks import course_secrets, scan
from rnncourse.course.authoring.settings import CourseSettings
from rnncourse.course.authoring.syllabus import colab_url

from helpers.cache import REPO
from helpers.chromium import launch, needs_chromium

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def site_visit(published, tmp_path_factory):
    """Every page of the site opened once: {page path: what the browser saw}, and the screenshots' folder."""
    from playwright.sync_api import sync_playwright

    site = published[1] / "docs"
    shots = tmp_path_factory.mktemp("site-screenshots")
    seen = {}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        outside, errors = [], []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                   else (outside.append(route.request.url), route.abort()))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        for path in sorted(site.rglob("*.html")):
            name = path.relative_to(site).as_posix()
            outside.clear(), errors.clear()
            response = page.goto(path.as_uri(), wait_until="load")
            page.screenshot(path=shots / f"{name.replace('/', '_')}.png")
            seen[name] = {
                "ok": response is not None and response.ok,
                "title": page.title(),
                "links": page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"),
                "ids": set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")),
                "text": page.inner_text("body"),
                "mathml": page.locator("math").count(),
                "outside": list(outside), "errors": list(errors),
            }
        browser.close()
    return site, seen, shots


def test_every_page_loads_offline_without_errors(site_visit, note):
    _, seen, shots = site_visit
    note(f"site screenshots: {shots}")
    labs = [lab.name for lab in find_labs(REPO)]
    assert {"index.html", "hand-in.html", *(f"labs/{lab}.html" for lab in labs)} <= set(seen)
    for name, visit in seen.items():
        assert visit["ok"] and visit["title"], f"{name} did not load"
        assert visit["outside"] == [], f"{name} asked for files outside the site: {visit['outside']}"
        assert visit["errors"] == [], f"{name}: {visit['errors']}"
    for lab in labs:
        assert seen[f"labs/{lab}.html"]["mathml"] > 0 or "$" not in seen[f"labs/{lab}.html"]["text"], lab


def test_every_internal_link_and_anchor_resolves(site_visit):
    site, seen, _ = site_visit
    ids = {name: visit["ids"] for name, visit in seen.items()}
    broken = []
    for name, visit in seen.items():
        for href in visit["links"]:
            if urlparse(href).scheme in ("http", "https", "mailto"):
                continue
            target, anchor = urldefrag(href)
            path = (site / name).parent / unquote(target) if target else site / name
            path = path.resolve()
            if path.is_dir():
                path = path / "index.html"
            relative = path.relative_to(site.resolve()).as_posix() if path.is_relative_to(site.resolve()) else None
            if relative is None or not path.is_file():
                broken.append(f"{name}: {href} (no such file)")
            elif anchor and relative.endswith(".html") and unquote(anchor) not in ids.get(relative, set()):
                broken.append(f"{name}: {href} (no element with id {anchor!r})")
    assert broken == [], "\n".join(broken)


def test_each_lab_page_opens_its_notebook_in_colab_and_offers_it(site_visit):
    _, seen, _ = site_visit
    settings = CourseSettings.read(REPO)
    for lab in find_labs(REPO):
        visit = seen[f"labs/{lab.name}.html"]
        colab = [href for href in visit["links"] if href.startswith("https://colab.research.google.com/")]
        assert colab == [colab_url(settings, lab.name)], colab
        assert f"../downloads/{lab.name}.ipynb" in visit["links"]
        for question in lab.questions:
            assert re.search(rf"{question.name}\s+{question.points:g}\s", visit["text"]), question.name
    home = seen["index.html"]
    assert sorted(href for href in home["links"] if href.startswith("https://colab")) == \
        sorted(colab_url(settings, lab.name) for lab in find_labs(REPO))


def test_no_page_shows_a_secret(site_visit):
    _, seen, _ = site_visit
    secrets = course_secrets(REPO, find_labs(REPO))
    found = [f for name, visit in seen.items() for f in scan(name, visit["text"], secrets)]
    assert found == [], "\n".join(found)


def test_the_site_needs_nothing_from_a_cdn(published):
    """No page refers to a script, style sheet, font or image outside the site."""
    site = Path(published[1]) / "docs"
    loads = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(https?:)?//[^\"]+\"")
    for page in site.rglob("*.html"):
        found = [m.group(0) for m in loads.finditer(page.read_text(encoding="utf-8"))]
        assert found == [], f"{page.relative_to(site)}: {found}"
