"""Reading a submissions folder: one student per entry, the student id from the entry's name or,
with --id-pattern, from the part of it a regular expression captures (a course site's download)."""
import pytest

from kit.grade import submissions


def make_entries(folder, names):
    folder.mkdir()
    for name in names:
        if name.endswith(".zip"):
            (folder / name).write_bytes(b"PK")
        else:
            (folder / name).mkdir()
    return folder


def ids(found):
    return {s.student: s.entry.name for s in found}


def test_the_entry_name_is_the_student_id(tmp_path):
    folder = make_entries(tmp_path / "subs", ["ada", "bob lee.zip", ".hidden", "__MACOSX"])
    assert ids(submissions.find_submissions(folder)) == {"ada": "ada", "bob_lee": "bob lee.zip"}


@pytest.mark.parametrize("pattern", [r"^(?P<student_id>[a-z]+)_\d+_", r"^([a-z]+)_\d+_"])
def test_a_pattern_takes_the_id_from_a_course_site_download(tmp_path, pattern):
    folder = make_entries(tmp_path / "subs", ["ada_12345_67890_rnn_captioning_submission.zip",
                                              "bob_23456_78901_rnn_captioning_submission.zip",
                                              "cy_34567_LATE_89012_hw"])
    assert ids(submissions.find_submissions(folder, pattern)) == {
        "ada": "ada_12345_67890_rnn_captioning_submission.zip",
        "bob": "bob_23456_78901_rnn_captioning_submission.zip",
        "cy": "cy_34567_LATE_89012_hw"}


def test_a_pattern_that_misses_an_entry_stops_everything(tmp_path):
    folder = make_entries(tmp_path / "subs", ["ada_12345.zip", "notes.txt.zip"])
    with pytest.raises(submissions.SubmissionsError,
                       match=r"does not match 1 entry of .*: notes.txt.zip; fix the pattern"):
        submissions.find_submissions(folder, r"^([a-z]+)_\d+")


def test_two_entries_of_one_student_are_refused(tmp_path):
    folder = make_entries(tmp_path / "subs", ["ada_1.zip", "ada_2.zip"])
    with pytest.raises(submissions.SubmissionsError, match="both give the student id 'ada'"):
        submissions.find_submissions(folder, r"^([a-z]+)_")


def test_a_pattern_that_is_not_a_regular_expression_is_a_clear_error(tmp_path):
    folder = make_entries(tmp_path / "subs", ["ada"])
    with pytest.raises(submissions.SubmissionsError, match="is not a regular expression"):
        submissions.find_submissions(folder, "([a-z")
