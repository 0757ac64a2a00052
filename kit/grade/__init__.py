"""Grading: submissions taken in, each graded by nbgrader in a worker process of its own, merged
into the class gradebook."""
