"""One command line for the instructor tooling. Each command is a module of kit/commands/ that
registers its options through ``add_arguments(parser)`` and runs through ``run(args) -> int``."""
import argparse
import importlib

# command name -> (module in kit/commands/, one-line help)
COMMANDS = {
    "data": ("data", "build the built-in offline captioning dataset"),
    "reference-outputs": ("reference_outputs", "generate the checks' reference outputs from the reference package"),
    "release": ("release", "build the student release (folder and zip), checked for leaks"),
    "grade": ("grade", "grade a folder of submissions in parallel: grades.csv, plot, feedback"),
    "report": ("report", "rewrite grades.csv and scores.png from the gradebook"),
    "feedback": ("feedback", "regenerate feedback after hand grading; one zip per student"),
    "facts": ("facts", "write the notebooks' points and budgets into README.md from the course"),
    "demo": ("demo", "release, sample submissions, parallel grading: the whole pipeline"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kit",
        description="Course kit for the RNN captioning assignment: data, release, grading, demo.")
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"kit.commands.{module_name}")
        command = sub.add_parser(name, help=help_text, description=module.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args) or 0
