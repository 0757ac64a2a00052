"""The kit's layout: one package per pipeline stage, imports pointing one way
(paths and helpers <- author <- release <- grade <- report <- demo <- commands), no cycle, no import
of the kit inside a function, every module importable and documented."""
import ast
import importlib
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent / "kit"
# The rank of each part of the kit: a module imports only parts of its own rank or lower.
RANKS = {"paths": 0, "atomic": 0, "nbgrader_api": 0, "options": 0,
         "author": 1, "release": 2, "grade": 3, "report": 4, "demo": 5,
         "commands": 6, "cli": 7, "__main__": 7}
# Programs copied into the course and run there: they must not need the kit.
STANDALONE = ("kit.author.package_checks.package_checks",
              "kit.author.package_checks.package_checks_runner")


def module_name(path: Path) -> str:
    parts = path.relative_to(KIT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(KIT.rglob("*.py"))}


def kit_imports(name: str, tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """The kit modules a module imports (absolute names), with the import statements."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix
                       for alias in node.names]
        else:
            continue
        found += [(target, node) for target in targets
                  if target == "kit" or target.startswith("kit.")]
    return found


def rank(name: str) -> int:
    return RANKS[name.split(".")[1]]


GRAPH = {name: kit_imports(name, ast.parse(path.read_text(encoding="utf-8")))
         for name, path in MODULES.items()}


def test_every_part_of_the_kit_has_a_rank():
    assert {name.split(".")[1] for name in MODULES if name != "kit"} <= set(RANKS)


@pytest.mark.parametrize("name", [n for n in MODULES if n != "kit"])
def test_imports_point_one_way(name):
    for target, _ in GRAPH[name]:
        assert target in MODULES, f"{name} imports {target}, which is not a module of the kit"
        assert rank(target) <= rank(name), (
            f"{name} imports {target}: {target.split('.')[1]} comes after {name.split('.')[1]}")


@pytest.mark.parametrize("name", list(MODULES))
def test_the_kit_is_imported_at_the_top_of_each_module(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    lazy = [target for target, node in kit_imports(name, tree) if id(node) not in top]
    assert lazy == [], f"{name} imports {lazy} inside a function or block"


def test_the_import_graph_has_no_cycle():
    done, stack = set(), []

    def visit(name):
        if name in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(name):] + [name]))
        if name in done:
            return
        stack.append(name)
        for target, _ in GRAPH[name]:
            if target in MODULES:
                visit(target)
        stack.pop()
        done.add(name)

    for name in MODULES:
        visit(name)


@pytest.mark.parametrize("name", STANDALONE)
def test_the_programs_copied_into_the_course_need_no_kit(name):
    assert GRAPH[name] == []


@pytest.mark.parametrize("name", [n for n in MODULES if n != "kit.__main__"])
def test_every_module_imports_and_says_what_it_is_for(name):
    module = importlib.import_module(name)
    assert module.__doc__ and module.__doc__.strip(), f"{name} has no docstring"


# What a student's Windows or macOS machine lacks: POSIX-only modules and calls.
POSIX_ONLY_MODULES = {"resource", "fcntl", "termios", "pwd", "grp", "posix", "pty", "tty"}
POSIX_ONLY_CALLS = {"fork", "forkpty", "getuid", "geteuid", "setuid", "setsid", "killpg",
                    "sched_getaffinity", "SIGALRM", "SIGKILL", "alarm"}


def test_the_student_package_needs_nothing_linux_only():
    """cs231n runs on students' laptops: no POSIX-only module, call or signal, no shell script
    the release needs (its datasets/*.sh have Python twins)."""
    package = KIT.parent / "cs231n"
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name.split(".")[0] for alias in node.names]
                     if isinstance(node, ast.Import) else
                     [(node.module or "").split(".")[0]] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: import {n}" for n in names if n in POSIX_ONLY_MODULES]
            if isinstance(node, ast.Attribute) and node.attr in POSIX_ONLY_CALLS:
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert not found, found
    for script in (KIT.parent / "datasets").glob("*.sh"):
        assert script.with_suffix(".py").is_file(), f"{script.name} has no Python twin"


def test_the_portability_check_sees_a_posix_call(tmp_path):
    tree = ast.parse("import os\nos.fork()\n")
    assert any(isinstance(n, ast.Attribute) and n.attr in POSIX_ONLY_CALLS for n in ast.walk(tree))
