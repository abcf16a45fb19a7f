"""A small, hand-built Document that uses every node kind of the model.

Stage tests use it so that they do not depend on the Markdown reader; reader tests compare
against the real sample report instead.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.document import (
    Block,
    BulletList,
    Code,
    Document,
    Emphasis,
    Figure,
    Footnote,
    Footnotes,
    Heading,
    LineBreak,
    Link,
    Metadata,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
)


def _cell(text: str) -> TableCell:
    return TableCell((Paragraph((Text(text),)),))


def make_images(folder: Path) -> tuple[Path, Path]:
    """A bar chart-like PNG and a decorative border PNG, drawn here so tests need no files."""
    folder.mkdir(parents=True, exist_ok=True)
    chart = folder / "chart.png"
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    for i, height in enumerate((120, 200, 80)):
        draw.rectangle((60 + i * 180, 280 - height, 160 + i * 180, 280), fill=(20, 60, 140))
    image.save(chart)
    border = folder / "border.png"
    Image.new("RGB", (600, 20), (200, 160, 40)).save(border)
    return chart, border


def fixture_document(folder: Path) -> Document:
    chart, border = make_images(folder)
    meta = Metadata(
        title="Listening Together",
        subtitle="A test report",
        authors=("Test Author", "Second Author"),
        publisher="Example Co-production Charity",
        date="2024-03-01",
        language="en-GB",
        description="A short report used by the tests.",
        contact="formats@example.org",
        version="1.0",
        aliases=("the listening report",),
        keywords=("co-production",),
        pronunciations=(("NHS", "N H S"),),
    )
    blocks = (
        Heading(1, (Text("Introduction"),), "introduction"),
        Paragraph(
            (
                Text("We ran "),
                Strong((Text("21 sessions"),)),
                Text(" for "),
                Emphasis((Text("502 people"),)),
                Text(" and raised £1,179,818.54."),
                NoteRef("n1", 1),
            )
        ),
        Paragraph(
            (
                Text("Read more at "),
                Link("https://example.org/impact", (Text("our impact page"),)),
                Text(". The Welsh for thank you is "),
                Span((Text("diolch"),), "cy"),
                Text("."),
                LineBreak(),
                Text("Use "),
                Code("make all"),
                Text(" to build."),
            )
        ),
        Heading(2, (Text("What we did"),), "what-we-did"),
        BulletList(
            (
                (
                    Paragraph((Text("Training sessions"),)),
                    OrderedList(((Paragraph((Text("Planning"),)),), (Paragraph((Text("Delivery"),)),))),
                ),
                (Paragraph((Text("Talks and events"),)),),
            )
        ),
        Table(
            (Text("Table 1: Sessions by kind"),),
            header_rows=((_cell("Kind"), _cell("Sessions"), _cell("People")),),
            body_rows=(
                (_cell("Training"), _cell("21"), _cell("502")),
                (_cell("Talks"), _cell("19"), _cell("1,482")),
            ),
            row_headers=True,
        ),
        Heading(3, (Text("In pictures"),), "in-pictures"),
        Figure(
            chart,
            "Bar chart: 21 training sessions, 19 talks and 11 co-creation sessions.",
            (Text("Figure 1: Sessions in 2023"),),
        ),
        Figure(border, "", (), decorative=True),
        Quote(
            (Paragraph((Text("Being asked made me feel I mattered."),)),), (Text("A workshop participant"),)
        ),
        ThematicBreak(),
        PageBreak(),
        Heading(1, (Text("Money"),), "money"),
        Paragraph((Text("Bids won 35% more than last year."), NoteRef("n2", 2))),
        Footnotes(
            (
                Footnote("n1", 1, (Paragraph((Text("Across five research bids."),)),)),
                Footnote("n2", 2, (Paragraph((Text("Compared with 2022."),)),)),
            )
        ),
    )
    return Document(meta, blocks, source=folder / "listening-together.md")


def long_section_document() -> Document:
    """A report whose first section, of four parts under level-2 headings, is about 560 words:
    long enough for the audio stage to say it in pieces."""
    sentence = "On day {n} the group met at the library and talked about the plan for the garden."
    blocks: list[Block] = [Heading(1, (Text("The Year"),), "the-year", line=1)]
    for part, count in enumerate((9, 11, 7, 8), start=1):
        blocks.append(Heading(2, (Text(f"Part {part}"),), f"part-{part}", line=part * 10))
        text = " ".join(sentence.format(n=n) for n in range(1, count + 1))
        blocks.append(Paragraph((Text(text),), line=part * 10 + 2))
    blocks += [Heading(1, (Text("Close"),), "close", line=90), Paragraph((Text("That is all."),), line=91)]
    return Document(Metadata(title="Long Report", language="en-GB"), tuple(blocks))
