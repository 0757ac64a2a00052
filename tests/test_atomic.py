"""kit.atomic: a file the kit writes appears whole or not at all."""
import pytest

from kit import atomic


def test_a_finished_write_replaces_the_file(tmp_path):
    path = tmp_path / "sub" / "grades.csv"
    atomic.write_text(path, "old")
    atomic.write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in path.parent.iterdir()] == ["grades.csv"]


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic.replacing(path) as tmp:
            tmp.write_text("half of the new")
            raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
