"""How the checks of ``cs231n.checks`` are built and run: the reference outputs file (cases), calling
the code under test (calls), comparing its outputs (comparisons), the kinds of checks
(layer_checks, model_checks, char_checks), the list of checks (registry) and running them (runner).
Notebooks and scripts import from ``cs231n.checks``."""
