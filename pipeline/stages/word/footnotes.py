"""Real footnotes: w:footnoteReference in the text, the note in footnotes.xml.

python-docx has no footnote API, so the part is created here: the two separator notes Word
requires (ids -1 and 0), then one w:footnote per reference. Screen readers announce a
footnoteReference as a footnote and Word lets the reader jump to it and back.
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from .ooxml import el, w

_EMPTY_FOOTNOTES = (
    f"<w:footnotes {nsdecls('w', 'r')}>"
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" '
    'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p>'
    "</w:footnote></w:footnotes>"
)


class FootnotesPart:
    """The footnotes part of one document; `new_note()` gives an empty w:footnote to fill."""

    def __init__(self, document: DocxDocument):
        package = document.part.package
        self.part = XmlPart(
            PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, parse_xml(_EMPTY_FOOTNOTES), package
        )
        document.part.relate_to(self.part, RELATIONSHIP_TYPE.FOOTNOTES)
        self.root: etree._Element = self.part.element
        self._next_id = 1
        # Word writes this in settings for documents with footnotes; some versions expect it.
        settings = document.settings.element
        if settings.find(qn("w:footnotePr")) is None:
            footnote_pr = el("w:footnotePr", None, w("footnote", id=-1), w("footnote", id=0))
            # Schema order: footnotePr sits just before compat.
            anchor = settings.find(qn("w:compat"))
            if anchor is not None:
                anchor.addprevious(footnote_pr)
            else:
                settings.append(footnote_pr)

    def new_note(self) -> tuple[int, etree._Element]:
        note_id = self._next_id
        self._next_id += 1
        note = w("footnote", id=note_id)
        self.root.append(note)
        return note_id, note
