"""The programs of the hidden-check notebook, copied as they are into the assignment folder of the
course (reference-only: students never get them): ``package_checks.py`` runs in the notebook's
kernel, ``package_checks_runner.py`` in a fresh process with only the student's package."""
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
