"""What runs inside a kernel, a student's or one that grades: nothing here imports the rest of the
course tooling.

    student  the grader that a lab's first cell starts (public checks, the hand-in)
    checks   what the labs' tests use to look at how an answer was computed
    stubs    stub answers (zeros of the solution's types and shapes), for the grading contract
"""
