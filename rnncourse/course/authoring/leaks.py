"""Find what must never reach students: solution code and hidden tests.

A solution line is one marked `# SOLUTION` or between in-code BEGIN/END SOLUTION markers in a
master notebook; a hidden test is a test cell whose first line says hidden. Checks compare the
code text itself, so a leak is found wherever it lands (notebook, test file, zip).
"""

import re

import nbformat

from .labs import BOUNDARY

SOLUTION_MARK = re.compile(r"#\s*SOLUTION\s*$")
INLINE_BEGIN = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION\b", re.I)
INLINE_END = re.compile(r"^\s*#\s*END\s+SOLUTION\b", re.I)
HIDDEN_FIRST_LINE = re.compile(r"^\s*#.*\bhidden\b", re.I)
TEST_NAME = re.compile(r"^def\s+(\w+)\s*\(", re.M)


def master_secrets(master_path):
    """(solution snippets, hidden test function names) of a master notebook.

    A solution line that students also see in code given to them (a `with torch.no_grad():` in
    a cell they complete, say) is no secret, and is left out.
    """
    nb = nbformat.read(master_path, as_version=4)
    snippets, hidden, given = set(), set(), []
    block = None
    for cell in nb.cells:
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        boundary = BOUNDARY.match(first) if cell.cell_type == "raw" else None
        if boundary:
            block = boundary.group(2).upper() if boundary.group(1).upper() == "BEGIN" else None
            continue
        if cell.cell_type != "code":
            continue
        if block == "SOLUTION":
            secret, shown = _split_solution_cell(cell.source)
            snippets |= secret
            given += shown
        elif block == "TESTS":
            if HIDDEN_FIRST_LINE.match(first):
                hidden |= set(TEST_NAME.findall(cell.source))
        else:
            given.append(cell.source)
    shown = "\n".join(given)
    return {s for s in snippets if s not in shown}, hidden


def _split_solution_cell(source):
    """(secret snippets, lines students see) of a code cell inside a SOLUTION block."""
    found, shown, inside = set(), [], False
    for line in source.splitlines():
        if INLINE_BEGIN.match(line):
            inside = True
        elif INLINE_END.match(line):
            inside = False
        elif inside or SOLUTION_MARK.search(line):
            code = SOLUTION_MARK.sub("", line).strip()
            # for `x = expr  # SOLUTION` students see `x = ...`: the secret is the right-hand side
            code = code.split("=", 1)[1].strip() if re.match(r"^[\w\s,\[\]\.]+=[^=]", code) else code
            if len(code) >= 6:   # shorter fragments ("0", "x") are not evidence of a leak
                found.add(code)
        else:
            shown.append(line)
    return found, shown


def find_leaks(master_path, texts):
    """Leaks of the secrets of master_path in `texts` ({where: text}); a list of readable findings."""
    snippets, hidden = master_secrets(master_path)
    findings = []
    for where, text in texts.items():
        for snippet in sorted(snippets):
            if snippet in text:
                findings.append(f"{where}: solution code {snippet!r}")
        for name in sorted(hidden):
            if re.search(rf"\b{re.escape(name)}\b", text):
                findings.append(f"{where}: hidden test {name}")
        if re.search(r"hidden\s*=\s*True", text):
            findings.append(f"{where}: a test case marked hidden=True")
    return findings
