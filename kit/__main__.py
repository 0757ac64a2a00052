"""The kit's command line: python -m kit <command> [options]; python -m kit <command> --help."""
from .cli import main

raise SystemExit(main())
