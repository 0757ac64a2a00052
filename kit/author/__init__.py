"""Authoring: the course built from the one source of truth (reference package, source notebooks,
dataset scripts): stubs, check cases, reference outputs, the hidden-check notebook."""
