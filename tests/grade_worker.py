"""Grade many notebooks with Otter's own API, two at a time, in fresh forked processes.

Run as: python grade_worker.py JOBS.json RESULTS.json, where JOBS.json is a list of
[notebook, autograder_zip] pairs. RESULTS.json gets, per job, {"scores": {question: [score, possible]}}
or {"error": text}. Otter is imported once here; each submission is graded in its own process
(Otter changes the working directory and keeps class-level state, so never two in one process).
"""

import json
import multiprocessing
import sys


def grade(job):
    notebook, autograder_zip = job
    from otter.api import grade_submission
    try:
        results = grade_submission(notebook, autograder_zip, quiet=True)
    except Exception as e:  # a submission that breaks Otter is a finding, not a crash of the batch
        return {"error": f"{type(e).__name__}: {e}"}
    return {"scores": {q: [r["score"], r["possible"]] for q, r in results.to_dict().items()}}


if __name__ == "__main__":
    import otter.api  # noqa: F401  (imported once, inherited by every forked grader)

    jobs = json.load(open(sys.argv[1]))
    with multiprocessing.get_context("fork").Pool(2, maxtasksperchild=1) as pool:
        results = pool.map(grade, jobs, chunksize=1)
    json.dump(results, open(sys.argv[2], "w"))
