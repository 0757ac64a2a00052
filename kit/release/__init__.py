"""Releasing: the student version of the course, written as a folder and a zip, leak-checked."""
