"""nbgrader configuration of the course.

``python -m kit release`` and ``python -m kit grade`` copy this file into the built course
(build/course/nbgrader_config.py) and append the settings computed from the sources: the student
files (``Autograde.exclude_overwriting``). Plain ``nbgrader`` commands run in build/course/ read the
result, so the course also works without the kit. The kit's grading overrides the time limits from
its command-line options.
"""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "rnn_captioning"
c.CourseDirectory.root = "."
# Generated data never belongs in an assignment folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "builtin_captioning", "coco_captioning"]

# Seconds a cell may run while grading. Older nbgrader releases read only one of the two names.
c.Execute.timeout = 120
c.ExecutePreprocessor.timeout = 120

# A deleted test cell comes back (and scores what the code deserves) instead of vanishing.
c.OverwriteCells.add_missing_cells = True

# Any stderr output zeroes a test cell; the one-time notice of a fresh matplotlib is not the
# student's fault.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^Matplotlib is building the font cache"
