"""minillm.data.text: reading the learner's own files, and its error messages."""

from __future__ import annotations

import pytest

from minillm.corpus import DOC_SEPARATOR
from minillm.data import iter_text_files, read_text, read_text_file


def test_reads_one_file_exactly(tmp_path):
    f = tmp_path / "a.txt"
    text = "héllo, wörld\nsecond line ✓\n"
    f.write_text(text, encoding="utf-8")
    assert read_text(f) == text
    assert read_text(str(f)) == text  # str paths work too


def test_explicit_file_is_read_whatever_its_suffix(tmp_path):
    f = tmp_path / "notes.log"
    f.write_text("abc", encoding="utf-8")
    assert read_text(f) == "abc"


def test_folder_is_read_recursively_in_sorted_order_with_separator(tmp_path):
    (tmp_path / "b.txt").write_text("B", encoding="utf-8")
    (tmp_path / "a.md").write_text("A", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.TXT").write_text("C", encoding="utf-8")
    (tmp_path / "skip.py").write_text("not text", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("hidden", encoding="utf-8")
    files = list(iter_text_files(tmp_path))
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.md", "b.txt", "sub/c.TXT"]
    assert read_text(tmp_path) == DOC_SEPARATOR.join(["A", "B", "C"])
    assert read_text(tmp_path, suffixes=".py") == "not text"  # a bare str suffix works


def test_byte_order_mark_is_dropped(tmp_path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbfhi")
    assert read_text_file(f) == "hi"


def test_missing_path_names_the_path(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="nope"):
        read_text(missing)
    with pytest.raises(FileNotFoundError, match="nope"):
        iter_text_files(missing)  # raised at the call, not at the first next()


def test_non_utf8_file_names_file_and_byte_offset(tmp_path):
    f = tmp_path / "latin.txt"
    good = "café ok na".encode()  # 11 bytes: é takes two
    f.write_bytes(good + b"\xefve")  # a latin-1 "ï": not valid UTF-8
    with pytest.raises(ValueError, match=rf"latin\.txt.*0xef.*byte offset {len(good)}\b"):
        read_text(f)
    with pytest.raises(ValueError, match="latin.txt"):
        read_text(tmp_path)  # also from inside a folder


def test_empty_folder_and_folder_without_matches(tmp_path):
    with pytest.raises(ValueError, match=r"no files ending in \.txt, \.md"):
        read_text(tmp_path)
    (tmp_path / "x.csv").write_text("1,2", encoding="utf-8")
    with pytest.raises(ValueError, match="suffixes="):
        read_text(tmp_path)
    assert read_text(tmp_path, suffixes=(".csv",)) == "1,2"
