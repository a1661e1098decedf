"""The instructor's stage: from master notebooks to the labs students get and the autograders.

    settings    solutions/course.yml: its keys, defaults and checks
    labs        the lab registry: master notebooks found, their Otter format checked
    first_cell  the first code cell of every student notebook
    build       `rnncourse build`: Otter Assign, the solution graded, labs/ and dist/ refreshed
    leaks       solution lines and hidden tests looked for in what students receive
    answers     a question's answer cell in a built notebook, and notebooks with another answer
"""
