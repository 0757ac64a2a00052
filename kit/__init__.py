"""Instructor tooling: build the data, the reference outputs and the release; grade; demo."""
