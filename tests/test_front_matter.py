"""One front-matter reader for the Markdown report and the Word report's sidecar: the same
fields give the same metadata and the same problems, at the same lines."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from pipeline.errors import SourceError
from pipeline.readers.docx import read_docx
from pipeline.readers.markdown import read_markdown

FIELDS = """\
title: Listening Together
version: 1.10
date: 2024-03-01
language: cy
identifier: 978-0-306-40615-7
authors: [Test Author]
pronunciations:
  NHS: N H S
"""


def _word_report(folder: Path, sidecar: str) -> Path:
    document = docx.Document()
    document.add_paragraph("A title from the Title style", style="Title")
    document.add_heading("Introduction", level=1)
    document.add_paragraph("We ran 21 sessions.")
    path = folder / "report.docx"
    document.save(str(path))
    (folder / "report.yaml").write_text(sidecar, encoding="utf-8")
    return path


def _markdown_report(folder: Path, front: str) -> Path:
    path = folder / "report.md"
    path.write_text(f"---\n{front}---\n\n# Introduction\n\nWe ran 21 sessions.\n", encoding="utf-8")
    return path


def _problems(read, path: Path) -> list[tuple[int | None, str]]:
    with pytest.raises(SourceError) as raised:
        read(path)
    return [(problem.line, problem.message) for problem in raised.value.problems]


def test_sidecar_and_front_matter_give_the_same_metadata(tmp_path):
    (tmp_path / "md").mkdir()
    (tmp_path / "docx").mkdir()
    from_markdown = read_markdown(_markdown_report(tmp_path / "md", FIELDS)).meta
    from_word = read_docx(_word_report(tmp_path / "docx", FIELDS)).meta
    for meta in (from_markdown, from_word):
        assert meta.version == "1.10"  # as written, not the number 1.1
        assert meta.date == "2024-03-01"
        assert meta.language == "cy"
        assert meta.identifier == "978-0-306-40615-7"
        assert meta.authors == ("Test Author",)
        assert meta.pronunciations == (("NHS", "N H S"),)
    assert from_word.title == "Listening Together"  # the sidecar wins over the Title style


@pytest.mark.parametrize(
    "line, bad",
    [
        ("identifier: 978-0-306-40615-8\n", "is neither a valid ISBN nor a URN"),
        ("language: en_GB\n", "'en_GB' is not a language tag (BCP 47 uses hyphens)"),
        ("language: qq\n", "'qq' is not a known language tag"),
        ("date: 1 March 2024\n", "the date '1 March 2024' is not in the form YYYY-MM-DD"),
        ("authros: [A]\n", "authros"),
    ],
)
def test_sidecar_mistakes_are_found_as_in_front_matter(tmp_path, line, bad):
    (tmp_path / "md").mkdir()
    (tmp_path / "docx").mkdir()
    front = "title: Listening Together\ncontact: a@example.org\n" + line
    in_markdown = _problems(read_markdown, _markdown_report(tmp_path / "md", front))
    in_sidecar = _problems(read_docx, _word_report(tmp_path / "docx", front))
    assert [m for _, m in in_markdown if bad in m], in_markdown
    assert [m for _, m in in_sidecar if bad in m], in_sidecar
    # The same field on line 3 of the YAML: line 4 of the Markdown file (after '---'), line 3
    # of the sidecar.
    assert [n for n, m in in_markdown if bad in m] == [4]
    assert [n for n, m in in_sidecar if bad in m] == [3]
