"""The TA's batch: `rnncourse grade`, one Result per submission, kept in a gradebook folder.

    grade        the command: a batch of submissions into a gradebook, resumable
    submissions  finding, reading and checking submission files
    result       Result: what grading one submission gives, and its JSON form
    gradebook    the gradebook folder: results, grades.csv, feedback, histogram
    processes    grading in forked processes, stopped with everything they start
    warm_kernel  Jupyter kernels forked with their imports done
    limits       memory and network limits on a submission
    docker       the batch handed to `otter grade` in containers
    linux        the Linux process controls grading uses, named
    errors       GradeError: a batch that cannot start
"""
