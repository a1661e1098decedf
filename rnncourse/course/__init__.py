"""Course tooling, kept apart from the teaching code.

    labs      the lab registry: find master notebooks, check their Otter format, address labs
    leaks     find solution lines and hidden tests in student-facing files
    build     `rnncourse build`: Otter Assign each lab into dist/, refresh labs/
    student   the first cell of every student notebook: install what is missing, start the grader
    grade     `rnncourse grade`: the command; its stages are submissions (find, check, prepare),
              processes (forked grading), warm_kernel (kernels forked with their imports done)
              and docker (`otter grade` in containers)
    gradebook the gradebook folder: a result per submission, grades.csv, feedback, summary, histogram
    demo      `rnncourse demo`: made-up submissions of each lab, graded
    cli       the `rnncourse` command
"""
