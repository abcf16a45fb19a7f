"""Internal links: Word links to bookmarks; the model links to heading ids.

A bookmark inside a heading paragraph (Word's own "_Toc..." and "_Ref..." ones, or the author's)
resolves to that heading's id. A bookmark anywhere else resolves to the heading of the section
it sits in, the nearest place every format can jump to. A link to a bookmark that does not exist,
or that comes before any heading, keeps its words and loses the link: a dead link is worse than
plain text for someone navigating by links.
"""

from __future__ import annotations

from dataclasses import replace

from ...document import (
    Block,
    BulletList,
    Emphasis,
    Figure,
    Footnote,
    Footnotes,
    Heading,
    Inline,
    Link,
    OrderedList,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
)


def resolve_internal_links(
    blocks: list[Block], headings: list[tuple[int | None, str]], bookmarks: list[tuple[str, int | None]]
) -> list[Block]:
    targets: dict[str, str] = {}
    heading_ids = {heading_id for _, heading_id in headings}
    for name, line in bookmarks:
        if name in targets or line is None:
            continue
        section = [
            heading_id
            for heading_line, heading_id in headings
            if heading_line is not None and heading_line <= line
        ]
        if section:
            targets[name] = section[-1]

    def fix_inlines(inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in inlines:
            if isinstance(node, Link):
                inner = fix_inlines(node.inlines)
                if node.url.startswith("#"):
                    name = node.url[1:]
                    target = targets.get(name) or (name if name in heading_ids else None)
                    if target is None:
                        out.extend(inner)
                        continue
                    out.append(Link(f"#{target}", inner))
                else:
                    out.append(Link(node.url, inner))
            elif isinstance(node, (Emphasis, Strong)):
                out.append(type(node)(fix_inlines(node.inlines)))
            elif isinstance(node, Span):
                out.append(Span(fix_inlines(node.inlines), node.lang))
            else:
                out.append(node)
        return tuple(out)

    def fix_block(block: Block) -> Block:
        if isinstance(block, (Paragraph, Heading)):
            return replace(block, inlines=fix_inlines(block.inlines))
        if isinstance(block, (BulletList, OrderedList)):
            return replace(block, items=tuple(tuple(fix_block(b) for b in item) for item in block.items))
        if isinstance(block, Quote):
            return replace(
                block,
                blocks=tuple(fix_block(b) for b in block.blocks),
                attribution=fix_inlines(block.attribution),
            )
        if isinstance(block, Table):

            def row(cells):
                return tuple(replace(cell, blocks=tuple(fix_block(b) for b in cell.blocks)) for cell in cells)

            return replace(
                block,
                caption=fix_inlines(block.caption),
                header_rows=tuple(row(r) for r in block.header_rows),
                body_rows=tuple(row(r) for r in block.body_rows),
            )
        if isinstance(block, Figure):
            return replace(block, caption=fix_inlines(block.caption))
        if isinstance(block, Footnotes):
            return replace(
                block,
                notes=tuple(
                    Footnote(n.note_id, n.number, tuple(fix_block(b) for b in n.blocks)) for n in block.notes
                ),
            )
        return block

    return [fix_block(block) for block in blocks]
