"""Marking written answers: `rnncourse review` pages and score sheet, then `rnncourse merge`.

Lab 01's demo (correct: the instructor's written answer; partly wrong: a weaker one; blank; broken)
is graded once; each test works on a copy of its gradebook folder.
"""

import csv
import html
import re
import shutil

import pytest

from rnncourse.course.authoring.labs import read_lab
from rnncourse.course.demo import WEAK_ANSWER

from helpers.cache import REPO
from helpers.chromium import launch, needs_chromium
from helpers.command import rnncourse

LAB, WRITTEN = "01-forward", "why_h_longer"


def reviewed_lab():
    return read_lab(REPO / "solutions" / f"{LAB}.ipynb")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def grades(demo_run, built, tmp_path):
    """A copy of the demo's gradebook folder, and the course root to run commands in."""
    folder = tmp_path / "grades"
    shutil.copytree(demo_run[1], folder)
    return folder


@pytest.fixture
def reviewed(grades, built):
    result = rnncourse("review", "1", "--grades", str(grades), cwd=built.root)
    assert result.returncode == 0, result.stderr
    codes = {row["submission"]: row["code"] for row in read_csv(grades / "review" / "codes.csv")}
    return grades, codes


def fill(grades, marks):
    """Write points and comments into the score sheet: marks {code: (points, comment)}."""
    rows = read_csv(grades / "manual-scores.csv")
    for row in rows:
        if row["submission"] in marks:
            row["points"], row["comment"] = marks[row["submission"]]
    with open(grades / "manual-scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["submission", "question", "points", "comment"])
        writer.writeheader()
        writer.writerows(rows)


def test_review_pages_show_every_answer_under_a_code(reviewed):
    grades, codes = reviewed
    assert set(codes) == {"correct.ipynb", "partly-wrong.ipynb", "blank.ipynb", "broken.ipynb"}
    assert len(set(codes.values())) == 4 and all(re.fullmatch(r"[A-Z2-9]{4}", c) for c in codes.values())
    page = (grades / "review" / f"{WRITTEN}.html").read_text()
    assert not any(name in page for name in codes), "a submission's name shows on the blind page"
    sections = dict(re.findall(r'<section id="(\w+)">(.*?)</section>', page, re.S))
    assert list(sections) == sorted(codes.values()), "answers are listed by code"
    assert "state before any input" in sections[codes["correct.ipynb"]]
    assert "$h_{t-1}$" in sections[codes["correct.ipynb"]], "math is shown as typed"
    assert WEAK_ANSWER.split(",")[0] in sections[codes["partly-wrong.ipynb"]]
    assert "(blank)" in sections[codes["blank.ipynb"]]
    assert "Not readable" in sections[codes["broken.ipynb"]]
    assert "Type your answer here" not in page
    rubric = page.index('<div class="rubric">')
    assert rubric < page.index("<section"), "the rubric comes before the answers"
    question = next(q for q in reviewed_lab().questions if q.name == WRITTEN)
    assert question.rubric and sum(p for p, _ in question.rubric) == question.points
    for p, criterion in question.rubric:
        assert f"<tr><td>{p:g}</td><td>{html.escape(criterion)}</td></tr>" in page
    assert "<summary>Model answer</summary>" in page and "state before any input" in page[rubric:page.index("<section")]
    index = (grades / "review" / "index.html").read_text()
    assert re.search(rf'{WRITTEN}</a></td><td>1</td><td>4</td><td>2</td>', index), index
    sheet = read_csv(grades / "manual-scores.csv")
    assert sorted((r["submission"], r["question"], r["points"]) for r in sheet) == \
        sorted((c, WRITTEN, "") for c in codes.values())


def test_merge_adds_the_written_scores_to_grades_and_feedback(reviewed, built):
    grades, codes = reviewed
    before = {r["submission"]: r for r in read_csv(grades / "grades.csv")}
    fill(grades, {codes["correct.ipynb"]: ("1", "Clear: the state before the first input."),
                  codes["partly-wrong.ipynb"]: ("0.5", "Say why the first step needs it."),
                  codes["blank.ipynb"]: ("0", "")})
    result = rnncourse("merge", "1", "--grades", str(grades), cwd=built.root)
    assert result.returncode == 0, result.stderr
    assert "Merged 3 written-answer scores" in result.stdout and "1 answers have no points yet" in result.stdout
    rows = {r["submission"]: r for r in read_csv(grades / "grades.csv")}
    assert list(rows["correct.ipynb"]) == [*before["correct.ipynb"]][:-1] + [WRITTEN, "message"], \
        "the written question's column comes after the autograded ones"
    for name, points in [("correct.ipynb", 1), ("partly-wrong.ipynb", 0.5), ("blank.ipynb", 0)]:
        assert float(rows[name][WRITTEN]) == points
        assert float(rows[name]["total"]) == float(before[name]["total"]) + points
        assert float(rows[name]["possible"]) == float(before[name]["possible"]) + 1
    assert rows["broken.ipynb"][WRITTEN] == "" and rows["broken.ipynb"]["total"] == ""
    feedback = (grades / "feedback" / "partly-wrong.ipynb.txt").read_text()
    assert f"{WRITTEN}: 0.5 / 1\n    Say why the first step needs it." in feedback
    assert "Total, written answers included:" in feedback

    merged_once = (grades / "grades.csv").read_bytes()
    assert rnncourse("merge", "1", "--grades", str(grades), cwd=built.root).returncode == 0
    assert (grades / "grades.csv").read_bytes() == merged_once, "merging again changed the gradebook"
    assert rnncourse("review", "1", "--grades", str(grades), cwd=built.root).returncode == 0   # keeps marks
    again = {r["submission"]: r for r in read_csv(grades / "manual-scores.csv")}
    assert again[codes["correct.ipynb"]]["points"] == "1"
    assert {r["submission"]: r["code"] for r in read_csv(grades / "review" / "codes.csv")} == codes


def test_marks_made_under_codes_survive_a_review_by_names(reviewed, built):
    """A TA marks blind, then asks for the names: `review --names` rewrites the sheet by name and
    keeps every mark made under a code (and a later blind review keeps them again)."""
    grades, codes = reviewed
    fill(grades, {codes["correct.ipynb"]: ("1", "Clear."), codes["partly-wrong.ipynb"]: ("0.5", "Vague.")})
    assert rnncourse("review", "1", "--grades", str(grades), "--names", cwd=built.root).returncode == 0
    by_name = {r["submission"]: (r["points"], r["comment"]) for r in read_csv(grades / "manual-scores.csv")}
    assert by_name == {"correct.ipynb": ("1", "Clear."), "partly-wrong.ipynb": ("0.5", "Vague."),
                       "blank.ipynb": ("", ""), "broken.ipynb": ("", "")}
    assert rnncourse("review", "1", "--grades", str(grades), cwd=built.root).returncode == 0
    by_code = {r["submission"]: r["points"] for r in read_csv(grades / "manual-scores.csv")}
    assert by_code[codes["correct.ipynb"]] == "1" and by_code[codes["partly-wrong.ipynb"]] == "0.5"


@pytest.mark.parametrize("rows, expected", [
    ([["ZZZZ", WRITTEN, "1", ""]], ["row 2: unknown submission 'ZZZZ'"]),
    ([["@correct.ipynb", "forward", "1", ""]], ["row 2: 'forward' is not a written question", WRITTEN]),
    ([["@correct.ipynb", WRITTEN, "2", ""]], ["row 2: points '2' for why_h_longer must be a number from 0 to 1"]),
    ([["@correct.ipynb", WRITTEN, "-1", ""], ["@blank.ipynb", WRITTEN, "one", ""]],
     ["row 2: points '-1'", "row 3: points 'one'"]),
    ([["@correct.ipynb", WRITTEN, "1", ""], ["correct.ipynb", WRITTEN, "0", ""]],
     ["row 3: why_h_longer of correct.ipynb is scored twice (also in row 2)"]),
])
def test_a_bad_score_sheet_is_refused_with_row_numbers_and_nothing_written(reviewed, built, rows, expected):
    """'@name' stands for that submission's code; a name works too."""
    grades, codes = reviewed
    with open(grades / "manual-scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "question", "points", "comment"])
        writer.writerows([[codes[r[0][1:]] if r[0].startswith("@") else r[0], *r[1:]] for r in rows])
    before = (grades / "grades.csv").read_bytes()
    result = rnncourse("merge", "1", "--grades", str(grades), cwd=built.root)
    assert result.returncode == 1 and "nothing was merged" in result.stderr
    for words in expected:
        assert words in result.stderr, result.stderr
    assert (grades / "grades.csv").read_bytes() == before and not (grades / "manual.json").exists()


def test_a_sheet_without_its_columns_is_refused(reviewed, built):
    grades, _ = reviewed
    (grades / "manual-scores.csv").write_text("name;score\nx;1\n")
    result = rnncourse("merge", "1", "--grades", str(grades), cwd=built.root)
    assert result.returncode == 1 and "must name the columns submission, question, points, comment" in result.stderr


@needs_chromium
def test_the_review_page_reads_right_in_a_browser(reviewed, note, tmp_path):
    """Headless Chromium opens the question's page; the answers read off it are the students'."""
    from playwright.sync_api import sync_playwright

    grades, codes = reviewed
    shot = tmp_path / "review-page.png"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto((grades / "review" / "index.html").as_uri())
        page.get_by_role("link", name=WRITTEN).click()
        read = {code: page.locator(f"section[id='{code}']").inner_text() for code in codes.values()}
        page.screenshot(path=shot, full_page=True)
        browser.close()
    note(f"review page screenshot: {shot}")
    assert "state before any input" in read[codes["correct.ipynb"]]
    assert WEAK_ANSWER.split(",")[0] in read[codes["partly-wrong.ipynb"]]
    assert "(blank)" in read[codes["blank.ipynb"]]


# ---------------------------------------------------------------- export to the LMS

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
    Points Possible,,,,
Ada Correct,101,s101,correct,A
Bo Partly,102,s102,partly-wrong,A
Cy Blank,103,s103,blank,B
Di Absent,104,s104,di.absent,B
"""


def test_review_merge_export_end_to_end(reviewed, built, tmp_path):
    """The demo through review, a filled sheet, merge and a Canvas gradebook: written points are in
    the totals, the broken file and the absent student are reported, nobody is dropped."""
    grades, codes = reviewed
    fill(grades, {codes["correct.ipynb"]: ("1", "Good."), codes["partly-wrong.ipynb"]: ("0.5", "")})
    assert rnncourse("merge", "1", "--grades", str(grades), cwd=built.root).returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    result = rnncourse("export", str(grades), "--roster", str(roster), "--title", "Lab 01 (4512)", cwd=built.root)
    assert result.returncode == 0, result.stderr
    with open(grades / "gradebook-canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 01 (4512)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "6"]          # 5 autograded + 1 written
    totals = {row[0]: row[5] for row in rows[2:]}
    assert totals == {"Ada Correct": "6", "Bo Partly": f"{6 - 1 - 1 + 0.5:g}", "Cy Blank": "0", "Di Absent": ""}
    report = (grades / "export-report.txt").read_text()
    assert "unmatched submission broken.ipynb" in report and "no submission from Di Absent (104)" in report
    assert "unmatched submission broken.ipynb" in result.stdout


def test_export_counts_the_written_points_exactly_when_grades_csv_does(reviewed, built, tmp_path):
    """A merge of a sheet with no mark yet: grades.csv already counts the written question in
    `possible`; the Canvas export's Points Possible counts it too."""
    grades, _ = reviewed
    assert rnncourse("merge", "1", "--grades", str(grades), cwd=built.root).returncode == 0
    possible = {r["possible"] for r in read_csv(grades / "grades.csv") if r["status"] == "graded"}
    assert possible == {"6"}
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    assert rnncourse("export", str(grades), "--roster", str(roster), cwd=built.root).returncode == 0
    with open(grades / "gradebook-canvas.csv", newline="") as f:
        assert list(csv.reader(f))[1][-1] == "6"


def test_canvas_bulk_download_names_and_whole_words_match_students():
    from rnncourse.course.ta.export import match

    students = [{"Student": "Jane Doe", "ID": "12345", "SIS Login ID": "jdoe"},
                {"Student": "John Roe", "ID": "222", "SIS Login ID": "roe"},
                {"Student": "Max Moe", "ID": "67890", "SIS Login ID": "moe"}]
    matched, unmatched = match(["doejane_12345_67890_01-forward.ipynb",      # 67890 is the submission id
                                "roejohn_LATE_222_9_01-forward.zip", "lab1-moe.ipynb", "jdoe-and-roe.ipynb",
                                "mystery.ipynb"], students, "ID")
    assert matched == {"doejane_12345_67890_01-forward.ipynb": "12345", "roejohn_LATE_222_9_01-forward.zip": "222",
                       "lab1-moe.ipynb": "67890"}
    assert dict(unmatched) == {"jdoe-and-roe.ipynb": "it names several students (12345, 222)",
                               "mystery.ipynb": "no student's ID or SIS Login ID is a word of its name"}


@pytest.mark.parametrize("roster, expected", [
    ("Name,Email\nAda,a@x\n", "the roster needs the column(s) Student, ID in its first row (found: Name, Email)"),
    ("Student,ID\nAda,101\nBo,101\n", "row 3: ID 101 is also in row 2"),
    ("Student,ID\nAda,\n", "row 2: Ada has no ID"),
])
def test_a_bad_roster_is_refused_with_row_numbers(grades, built, tmp_path, roster, expected):
    (tmp_path / "roster.csv").write_text(roster)
    result = rnncourse("export", str(grades), "--roster", str(tmp_path / "roster.csv"), cwd=built.root)
    assert result.returncode == 1 and expected in result.stderr, result.stderr
    assert not (grades / "gradebook-canvas.csv").exists()


def test_a_mapping_file_decides_and_its_bad_rows_are_named(grades, built, tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    mapping = tmp_path / "map.csv"
    mapping.write_text("submission,student\ncorrect.ipynb,104\nnobody.ipynb,101\nblank.ipynb,999\n")
    args = ("export", str(grades), "--roster", str(tmp_path / "roster.csv"), "--mapping", str(mapping),
            "--format", "csv")
    result = rnncourse(*args, cwd=built.root)
    assert result.returncode == 1
    assert "row 3: no graded submission is named 'nobody.ipynb'" in result.stderr
    assert "row 4: '999' is not an id of the roster" in result.stderr
    mapping.write_text("submission,student\ncorrect.ipynb,104\n")
    assert rnncourse(*args, cwd=built.root).returncode == 0
    rows = {row["student"]: row for row in read_csv(grades / "gradebook-csv.csv")}
    assert rows["Di Absent"]["submission"] == "correct.ipynb" and rows["Di Absent"]["01-forward"] == "5"
    assert "unmatched submission blank.ipynb: not in the mapping file" in (grades / "export-report.txt").read_text()
