"""Reporting: the grade table, the score plot and the students' feedback, from the gradebook."""
