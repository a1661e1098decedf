"""The TA's batch: `rnncourse grade`, one Result per submission, kept in a gradebook folder.

    grade        the command: a batch of submissions into a gradebook, resumable
    submissions  finding, reading and checking submission files
    engine       a fresh process that grades a batch (grading kernels are forked from it)
    processes    one grading process per submission, stopped with everything it starts
    grader       grading one submission: its kernel in a sandbox, the tests outside it
    sandbox      what a grading kernel may reach: its own files, processes and network
    proxies      the grader's view of a kernel: a session, and proxies of the kernel's objects
    judge        the lab's tests run against the proxies, scored as Otter scores them
    result       Result: what grading one submission gives, and its JSON form
    gradebook    the gradebook folder: results, grades.csv, feedback, histogram
    docker       the batch handed to containers
    linux        the Linux process controls grading uses, named
    errors       GradeError: a batch that cannot start
"""
