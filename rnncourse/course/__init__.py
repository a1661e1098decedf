"""Course tooling, kept apart from the teaching code, one sub-package per stage.

Imports flow one way: the command line uses the stages, a later stage may use an earlier one,
and every stage may use the shared helpers; nothing imports back up.

    cli        the `rnncourse` command          demo   `rnncourse demo`: made-up submissions, graded
    files      shared file helpers (atomic writes, paths as the user types them)
    kernel     what runs inside a student's or a grading kernel: the grader the first cell starts,
               the checks hidden tests use, stub answers
    authoring  the instructor's stage: course settings, the lab registry, `rnncourse build`, leak
               checks, answers inside built notebooks
    grading    the TA's batch: `rnncourse grade`, submissions, the Result of each, the gradebook
    ta         after grading: written answers reviewed and merged, gradebooks exported for an LMS
"""
