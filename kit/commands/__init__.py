"""The commands of ``python -m kit``, one module each: their options and how they report errors;
the work is done by the stage packages."""
