"""The reading order shared by speech and braille (pipeline/reading.py)."""

from __future__ import annotations

from pipeline.document import (
    Document,
    Footnote,
    Footnotes,
    Metadata,
    NoteRef,
    Paragraph,
    Table,
    TableCell,
    Text,
)
from pipeline.reading import reading_order, runs_text


def _cell(*inlines) -> TableCell:
    return TableCell((Paragraph(tuple(inlines)),))


def test_units_in_order_with_list_positions_table_pairs_and_no_decorative_images(doc):
    units = reading_order(doc)
    kinds = [u.kind for u in units]
    assert kinds[:3] == ["heading", "paragraph", "note"]  # a note follows its paragraph
    items = [(runs_text(u.runs), u.level, u.label, u.position) for u in units if u.kind == "list-item"]
    assert items == [
        ("Training sessions", 1, "•", (1, 2)),
        ("Planning", 2, "1.", (1, 2)),
        ("Delivery", 2, "2.", (2, 2)),
        ("Talks and events", 1, "•", (2, 2)),
    ]
    rows = [
        (runs_text(u.row_header), [(c.header, runs_text(c.runs)) for c in u.cells])
        for u in units
        if u.kind == "table-row"
    ]
    assert rows[0] == ("Training", [("Sessions", "21"), ("People", "502")])
    figures = [u for u in units if u.kind == "figure"]
    assert len(figures) == 1 and figures[0].alt.startswith("Bar chart")  # decorative left out


def test_section_placement_puts_notes_at_the_end_of_their_section(doc):
    units = reading_order(doc, notes="section")
    first_note = next(i for i, u in enumerate(units) if u.kind == "note")
    second_heading = [i for i, u in enumerate(units) if u.kind == "heading" and u.level == 1][1]
    assert first_note == second_heading - 1
    assert units[first_note].block_index == units[second_heading].block_index - 1


def test_a_note_in_a_row_header_follows_its_row():
    table = Table(
        (Text("Costs"),),
        header_rows=((_cell(Text("Item")), _cell(Text("Cost"))),),
        body_rows=((_cell(Text("Rent"), NoteRef("n1", 1)), _cell(Text("£5"))),),
        row_headers=True,
    )
    doc = Document(
        Metadata(title="T"),
        (
            table,
            Paragraph((Text("After the table."),)),
            Footnotes((Footnote("n1", 1, (Paragraph((Text("Monthly."),)),)),)),
        ),
    )
    kinds = [(u.kind, runs_text(u.runs)) for u in reading_order(doc)]
    assert kinds.index(("note", "Monthly.")) == kinds.index(("table-row", "")) + 1
