"""After grading: what a TA does with a gradebook folder.

    review  every written answer, one page per question, and a score sheet to fill
    merge   the filled score sheet into grades.csv and the feedback
    export  the gradebook keyed by student, for an LMS (Canvas) to import
"""
