"""Write the structure tree and the PDF/UA catalogue entries into ReportLab's file with pikepdf.

StructTreeRoot with the Document element, a ParentTree (page -> MCID -> element, and each link
annotation -> its Link element), /StructParents and /Tabs /S on every page, annotations with
/StructParent and /Contents, MarkInfo, an IDTree for notes, XMP with pdfuaid:part 1, PDF 1.7.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ...document import Metadata
from .tagging import MarkedContent, StructElem


def _annotation_target(annotation: Dictionary) -> str:
    """The URI of a link annotation, or "#" for an internal link (ReportLab resolves
    destination names to explicit page positions, so internal links match by order alone)."""
    action = annotation.get("/A")
    if action is not None and action.get("/S") == Name.URI:
        return str(action.get("/URI"))
    return "#"


def _same_target(elem: StructElem, target: str) -> bool:
    return elem.link_target == target or (target == "#" and elem.link_target.startswith("#"))


class TreeWriter:
    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.page_objects = [page.obj for page in pdf.pages]
        self.marked: list[dict[int, Dictionary]] = [{} for _ in pdf.pages]  # page -> mcid -> elem
        self.objects: dict[int, Dictionary] = {}  # id(StructElem) -> written element
        self.ids: list[tuple[str, Dictionary]] = []
        self.links_by_page: list[list[StructElem]] = [[] for _ in pdf.pages]

    def element(self, elem: StructElem, parent: Dictionary) -> Dictionary:
        written = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + elem.tag), P=parent))
        self.objects[id(elem)] = written
        if elem.tag == "Figure" and elem.alt:
            written.Alt = String(elem.alt)
        if elem.lang:
            written.Lang = String(elem.lang)
        if elem.elem_id:
            written.ID = String(elem.elem_id)
            self.ids.append((elem.elem_id, written))
        attributes = dict(elem.attributes)
        if elem.tag == "Figure" and elem.bbox:
            attributes = {"O": "Layout", "BBox": list(elem.bbox), "Placement": "Block"}
        if attributes:
            written.A = Dictionary({f"/{key}": _pdf_value(key, value) for key, value in attributes.items()})
        kids = Array()
        seen_pages: set[int] = set()
        for kid in elem.kids:
            if isinstance(kid, StructElem):
                kids.append(self.element(kid, written))
            else:
                kids.append(self.marked_content(kid, written))
                if elem.tag == "Link" and kid.page not in seen_pages:
                    seen_pages.add(kid.page)
                    self.links_by_page[kid.page].append(elem)
        written.K = kids
        return written

    def marked_content(self, kid: MarkedContent, elem: Dictionary) -> Dictionary:
        self.marked[kid.page][kid.mcid] = elem
        return Dictionary(Type=Name.MCR, Pg=self.page_objects[kid.page], MCID=kid.mcid)

    def parent_tree(self) -> tuple[Array, int]:
        """Nums for the ParentTree: one array per page, then one entry per link annotation."""
        nums = Array()
        for index, page in enumerate(self.pdf.pages):
            by_mcid = self.marked[index]
            array = Array(
                [
                    by_mcid.get(mcid, pikepdf.Object.parse(b"null"))
                    for mcid in range(max(by_mcid, default=-1) + 1)
                ]
            )
            page.obj.StructParents = index
            page.obj.Tabs = Name.S
            nums.append(index)
            nums.append(self.pdf.make_indirect(array))
        next_key = len(self.pdf.pages)
        for index, page in enumerate(self.pdf.pages):
            next_key = self.annotations(index, page, nums, next_key)
        return nums, next_key

    def annotations(self, index: int, page, nums: Array, next_key: int) -> int:
        """Pair each link annotation on the page (ReportLab writes one per line of link text)
        with the Link element that has a line of text inside the annotation's rectangle."""
        candidates = self.links_by_page[index]
        used: set[tuple[int, float]] = set()
        for annotation in page.obj.get("/Annots", Array()):
            if annotation.get("/Subtype") != Name.Link:
                continue
            elem = self._link_for(annotation, candidates, index, used)
            if elem is None:  # unmatched: the check reports it
                continue
            written = self.objects[id(elem)]
            written.K.append(Dictionary(Type=Name.OBJR, Obj=annotation, Pg=self.page_objects[index]))
            annotation.StructParent = next_key
            annotation.Contents = String(elem.alt or elem.link_target)
            nums.append(next_key)
            nums.append(written)
            next_key += 1
        return next_key

    @staticmethod
    def _link_for(
        annotation, candidates: list[StructElem], page: int, used: set[tuple[int, float]]
    ) -> StructElem | None:
        target = _annotation_target(annotation)
        bottom, top = sorted((float(annotation.Rect[1]), float(annotation.Rect[3])))
        fallback = None
        for elem in candidates:
            if not _same_target(elem, target):
                continue
            fallback = fallback or elem
            for line in elem.link_lines:
                key = (id(elem), line[1])
                if line[0] == page and bottom - 0.5 <= line[1] <= top + 0.5 and key not in used:
                    used.add(key)
                    return elem
        return fallback


def _pdf_value(key: str, value: object):
    if isinstance(value, str):
        return Name("/" + value)
    if isinstance(value, (list, tuple)):
        return Array(list(value))
    return value


def write_structure(source: Path, target: Path, root: StructElem, meta: Metadata) -> None:
    with pikepdf.open(source) as pdf:
        writer = TreeWriter(pdf)
        tree_root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = writer.element(root, tree_root)
        nums, next_key = writer.parent_tree()
        tree_root.K = document
        tree_root.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
        tree_root.ParentTreeNextKey = next_key
        if writer.ids:
            names = Array()
            for elem_id, written in sorted(writer.ids, key=lambda pair: pair[0]):
                names.append(String(elem_id))
                names.append(written)
            tree_root.IDTree = Dictionary(Names=names)
        catalog = pdf.Root
        catalog.StructTreeRoot = tree_root
        catalog.MarkInfo = Dictionary(Marked=True)
        catalog.Lang = String(meta.language)
        catalog.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        catalog.PageMode = Name.UseOutlines
        pdf.docinfo.Title = String(meta.title)
        if meta.authors:
            pdf.docinfo.Author = String(", ".join(meta.authors))
        if meta.description:
            pdf.docinfo.Subject = String(meta.description)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:title"] = meta.title
            xmp["dc:language"] = [meta.language]
            if meta.authors:
                xmp["dc:creator"] = list(meta.authors)
            if meta.description:
                xmp["dc:description"] = meta.description
            xmp["pdfuaid:part"] = "1"
        pdf.save(target, force_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.generate)
