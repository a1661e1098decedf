"""Course tooling, kept apart from the teaching code.

    labs      the lab registry: find master notebooks, check their Otter format, address labs
    leaks     find solution lines and hidden tests in student-facing files
    build     `rnncourse build`: Otter Assign each lab into dist/, refresh labs/
    student   the first cell of every student notebook: install what is missing, start the grader
    cli       the `rnncourse` command
"""
