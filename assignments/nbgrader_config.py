"""nbgrader configuration of the course (copied into the built course folder)."""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "rnn_captioning"
c.CourseDirectory.root = "."
