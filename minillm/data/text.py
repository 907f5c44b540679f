"""Read the learner's own text: one UTF-8 file, or every matching file under a folder.

    >>> from minillm.data.text import read_text
    >>> text = read_text("my_notes/")          # doctest: +SKIP

Files are joined with the corpus separator (``minillm.corpus.DOC_SEPARATOR``), so a folder of files
becomes a corpus of documents exactly like the synthetic one. Errors say what was wrong and
where: a missing path, a folder without matching files, a file that is not UTF-8 (with the byte
offset of the first bad byte).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from minillm.corpus.documents import DOC_SEPARATOR

DEFAULT_SUFFIXES = (".txt", ".md")


def iter_text_files(
    path: str | os.PathLike, suffixes: Sequence[str] = DEFAULT_SUFFIXES
) -> Iterator[Path]:
    """The files to read, in sorted order (stable across machines).

    A file path is yielded as is, whatever its suffix (you asked for it by name). A folder is
    searched recursively for files whose suffix is in ``suffixes`` (case-insensitive); hidden
    files and folders (names starting with '.') are skipped.
    """
    p = Path(path)
    if isinstance(suffixes, str):  # ".txt" would otherwise mean the suffixes ".", "t", "x", "t"
        suffixes = (suffixes,)
    wanted = tuple(s.lower() for s in suffixes)
    if not p.exists():
        raise FileNotFoundError(f"no such file or folder: {str(p)!r}")
    if p.is_file():
        return iter([p])
    if not p.is_dir():
        raise ValueError(f"{str(p)!r} is neither a file nor a folder")
    files = sorted(
        f
        for f in p.rglob("*")
        if f.is_file()
        and f.suffix.lower() in wanted
        and not any(part.startswith(".") for part in f.relative_to(p).parts)
    )
    if not files:
        raise ValueError(
            f"folder {str(p)!r} has no files ending in {', '.join(wanted) or '(no suffixes given)'}; "
            "pass suffixes=... to read other kinds of files"
        )
    return iter(files)


def read_text_file(path: str | os.PathLike) -> str:
    """One file as a str. Strict UTF-8 (a leading byte-order mark is dropped)."""
    p = Path(path)
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 1].hex()
        raise ValueError(
            f"{str(p)!r} is not valid UTF-8: byte 0x{bad} at byte offset {e.start} ({e.reason}). "
            "Convert it first, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`."
        ) from None
    return text.removeprefix("\ufeff")


def read_text(path: str | os.PathLike, suffixes: Sequence[str] = DEFAULT_SUFFIXES) -> str:
    """A file's text, or every matching file under a folder joined by ``DOC_SEPARATOR``."""
    return DOC_SEPARATOR.join(read_text_file(f) for f in iter_text_files(path, suffixes))
