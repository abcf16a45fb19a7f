"""Make the sample report's Word source, tests/fixtures/impact-report-2023-docx/, from the
Markdown sample: the .docx an author would have written (our own Word writer without the
contents list and accessibility statement it adds for readers), and the <slug>.yaml sidecar with
what Word has no place for (publisher, date, contact, aliases, pronunciations, version).

Run it again after editing the Markdown sample; commit both files. The tests build every format
from this Word file and compare the outputs' text with the Markdown build's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.readers.markdown import read_markdown  # noqa: E402
from pipeline.stages.word import WordOptions, write_docx  # noqa: E402

SOURCE = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
TARGET = ROOT / "tests" / "fixtures" / "impact-report-2023-docx"


def main() -> None:
    doc = read_markdown(SOURCE)
    slug = TARGET.name
    TARGET.mkdir(parents=True, exist_ok=True)
    write_docx(doc, WordOptions(), TARGET / f"{slug}.docx", author_copy=True)
    meta = doc.meta
    sidecar = {
        "publisher": meta.publisher,
        "date": meta.date,
        "contact": meta.contact,
        "version": meta.version,
        "aliases": list(meta.aliases),
        "pronunciations": dict(meta.pronunciations),
    }
    (TARGET / f"{slug}.yaml").write_text(
        "# What Word has no place for; read beside the .docx by pipeline/readers/docx.\n"
        + yaml.safe_dump(sidecar, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    print(f"wrote {TARGET / (slug + '.docx')} and its sidecar", file=sys.stderr)


if __name__ == "__main__":
    main()
