"""The demo: the whole pipeline on sample submissions."""
