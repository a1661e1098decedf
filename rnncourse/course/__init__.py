"""Course tooling, kept apart from the teaching code.

    labs      the lab registry: find master notebooks, check their Otter format, address labs
    leaks     find solution lines and hidden tests in student-facing files
    build     `rnncourse build`: Otter Assign each lab into dist/, refresh labs/
    student   the first cell of every student notebook: install what is missing, start the grader
    grade     `rnncourse grade`: submissions graded by Otter in parallel forked processes, or in Docker
    gradebook the gradebook folder: a result per submission, grades.csv, feedback, summary, histogram
    demo      `rnncourse demo`: made-up submissions of each lab, graded
    cli       the `rnncourse` command
"""
