"""A small reader for Pandoc's `.native` output (Haskell `show` of the AST), for tests only.

Pandoc prints its AST as Haskell values: constructors applied to arguments (`Para [Str "x"]`),
lists, tuples, strings with Haskell escapes (`\\8217`, `\\&`), numbers, and one record
(`Meta {unMeta = fromList [...]}`). This parses exactly that subset into Python values:
constructors become `Con(name, args)`, lists become lists, tuples tuples, records dicts.
Hand-written because no maintained Python package reads this format (pandoc's JSON needs pandoc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.document import (
    BulletList,
    Code,
    Document,
    Emphasis,
    Figure,
    Footnotes,
    Heading,
    LineBreak,
    Link,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    Text,
    ThematicBreak,
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:e-?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_']*)
  | (?P<punct>[\[\](){},=])
""",
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "&": "",
}
_ASCII_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "BEL",
    "BS",
    "HT",
    "LF",
    "VT",
    "FF",
    "CR",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "FS",
    "GS",
    "RS",
    "US",
    "SP",
    "DEL",
]


@dataclass(frozen=True)
class Con:
    name: str
    args: tuple


def parse_native(text: str) -> Any:
    tokens = _tokenise(text)
    value, position = _expression(tokens, 0)
    if position != len(tokens):
        raise ValueError(f"unparsed input from token {position}: {tokens[position : position + 5]}")
    return value


def _tokenise(text: str) -> list[tuple[str, Any]]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot read {text[position : position + 20]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        raw = match.group()
        if kind == "string":
            tokens.append(("string", _unescape(raw[1:-1])))
        elif kind == "number":
            tokens.append(("number", float(raw) if any(c in raw for c in ".e") else int(raw)))
        else:
            tokens.append((kind, raw))
    return tokens


def _unescape(body: str) -> str:
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        rest = body[index + 1 :]
        digits = re.match(r"\d+", rest)
        hexa = re.match(r"x([0-9a-fA-F]+)", rest)
        name = next((n for n in sorted(_ASCII_NAMES, key=len, reverse=True) if rest.startswith(n)), None)
        if digits:
            out.append(chr(int(digits.group())))
            index += 1 + len(digits.group())
        elif hexa:
            out.append(chr(int(hexa.group(1), 16)))
            index += 1 + len(hexa.group())
        elif rest[:1] in _ESCAPES:
            out.append(_ESCAPES[rest[0]])
            index += 2
        elif name:
            code = _ASCII_NAMES.index(name)
            out.append(chr({"SP": 32, "DEL": 127}.get(name, code)))
            index += 1 + len(name)
        else:
            raise ValueError(f"unknown escape \\{rest[:3]}")
    return "".join(out)


def _starts_atom(token: tuple[str, Any]) -> bool:
    return token[0] in ("string", "number", "name") or token[1] in ("[", "(", "{")


def _expression(tokens, position):
    """A constructor (or function) applied to atoms, or one atom."""
    kind, value = tokens[position]
    if (kind == "name" and value[0].isupper()) or (kind == "name" and value == "fromList"):
        position += 1
        args = []
        while position < len(tokens) and _starts_atom(tokens[position]):
            if tokens[position][1] == "{":
                record, position = _record(tokens, position)
                args.append(record)
                continue
            arg, position = _atom(tokens, position)
            args.append(arg)
        if value == "fromList":
            return dict(args[0]), position
        return Con(value, tuple(args)), position
    return _atom(tokens, position)


def _atom(tokens, position):
    kind, value = tokens[position]
    if kind in ("string", "number"):
        return value, position + 1
    if kind == "name":
        return Con(value, ()), position + 1
    if value == "[":
        return _sequence(tokens, position + 1, "]", list)
    if value == "(":
        items, position = _sequence(tokens, position + 1, ")", list)
        return (items[0] if len(items) == 1 else tuple(items)), position
    raise ValueError(f"unexpected {value!r} at token {position}")


def _sequence(tokens, position, close, build):
    items = []
    while tokens[position][1] != close:
        item, position = _expression(tokens, position)
        items.append(item)
        if tokens[position][1] == ",":
            position += 1
    return build(items), position + 1


def _record(tokens, position):
    fields = {}
    position += 1  # "{"
    while tokens[position][1] != "}":
        name = tokens[position][1]
        assert tokens[position + 1][1] == "="
        value, position = _expression(tokens, position + 2)
        fields[name] = value
        if tokens[position][1] == ",":
            position += 1
    return fields, position + 1


# ================================================================ comparison
# One comparable shape for Pandoc's reading (.native) and ours (Document), for tests only.
#
# Both are reduced to the same skeleton: blocks as tuples (heading level, paragraph, list kind and
# start, nesting, quote, table shape with spans and header rows, figure alt text, notes), and each
# paragraph's text as words (textcompare.words) tagged with strong/emphasis/code/link. What the two
# models say differently on purpose is normalised here, each for a stated reason:
# - Pandoc's Plain and Para are one kind (a tight or loose paragraph is the same text);
# - a picture inside a paragraph becomes a figure after that paragraph (our figures are blocks);
# - page breaks are dropped (Pandoc's model has none);
# - internal links compare as "internal" (Pandoc keeps Word's bookmark names; we resolve them to
#   heading ids, which test_docx_reader checks separately);
# - underline, small caps, strike-through, super/subscript, spans and Div wrappers are transparent
#   (our model has no such marks; the words stay).
# - an empty heading is dropped (ours drops it on purpose: it would be announced with no words).


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NOTE = "\ue000"  # a private-use character standing for a note reference in flattened text


# ---------------------------------------------------------------- shared: flags -> word tokens


def _tokens(chars: list[tuple[str, frozenset]]) -> tuple:
    text = "".join(c for c, _ in chars)
    tokens = []
    for match in re.finditer(f"{_WORD.pattern}|{_NOTE}", text):
        word = match.group().lower().replace("’", "'")
        flags = chars[match.start()][1]
        tokens.append(("[note]",) if word == _NOTE else (word, tuple(sorted(flags))))
    return tuple(tokens)


def _link_flag(url: str) -> str:
    return "link:internal" if url.startswith("#") else f"link:{url}"


# ---------------------------------------------------------------- ours


def ours(doc: Document) -> dict:
    return {
        "meta": (doc.meta.title, doc.meta.authors, doc.meta.description),
        "blocks": _our_blocks(doc.blocks),
        "notes": tuple(
            _our_blocks(note.blocks)
            for block in doc.blocks
            if isinstance(block, Footnotes)
            for note in block.notes
        ),
    }


def _our_blocks(blocks) -> tuple:
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(("heading", block.level, _our_tokens(block.inlines)))
        elif isinstance(block, Paragraph):
            tokens = _our_tokens(block.inlines)
            if tokens:
                out.append(("para", tokens))
        elif isinstance(block, BulletList):
            out.append(("bullet", tuple(_our_blocks(item) for item in block.items)))
        elif isinstance(block, OrderedList):
            out.append(("ordered", block.start, tuple(_our_blocks(i) for i in block.items)))
        elif isinstance(block, Quote):
            out.append(("quote", _our_blocks(block.blocks)))
        elif isinstance(block, Table):
            out.append(
                (
                    "table",
                    _our_tokens(block.caption),
                    tuple(
                        tuple((c.colspan, c.rowspan, _our_blocks(c.blocks)) for c in row)
                        for row in block.header_rows
                    ),
                    tuple(
                        tuple((c.colspan, c.rowspan, _our_blocks(c.blocks)) for c in row)
                        for row in block.body_rows
                    ),
                )
            )
        elif isinstance(block, Figure):
            out.append(("figure", _our_tokens((Text(block.alt),))))
        elif isinstance(block, ThematicBreak):
            out.append(("rule",))
        elif isinstance(block, (PageBreak, Footnotes)):
            continue
        else:
            raise TypeError(block)
    return tuple(out)


def _our_tokens(inlines) -> tuple:
    chars: list[tuple[str, frozenset]] = []

    def walk(nodes, flags: frozenset) -> None:
        for node in nodes:
            if isinstance(node, Text):
                chars.extend((c, flags) for c in node.text)
            elif isinstance(node, Code):
                chars.extend((c, flags | {"code"}) for c in node.text)
            elif isinstance(node, LineBreak):
                chars.append(("\n", flags))
            elif isinstance(node, NoteRef):
                chars.extend([(" ", flags), (_NOTE, flags), (" ", flags)])
            elif isinstance(node, Strong):
                walk(node.inlines, flags | {"strong"})
            elif isinstance(node, Emphasis):
                walk(node.inlines, flags | {"emph"})
            elif isinstance(node, Link):
                walk(node.inlines, flags | {_link_flag(node.url)})
            elif isinstance(node, Span):
                walk(node.inlines, flags)

    walk(inlines, frozenset())
    return _tokens(chars)


# ---------------------------------------------------------------- Pandoc's


def theirs(
    native,
    *,
    drop_span_classes: frozenset = frozenset(),
    flatten_definition_lists: bool = False,
    unlink_internal: bool = False,
) -> dict:
    """Pandoc's reading as a skeleton; the keyword options undo one named, known difference
    each, so a test can show that difference is the *only* one."""
    meta: dict = {}
    if isinstance(native, Con) and native.name == "Pandoc":
        meta = native.args[0].args[0]["unMeta"]
        blocks = native.args[1]
    else:
        blocks = native
    reader = _PandocReader(drop_span_classes, flatten_definition_lists, unlink_internal)
    converted = reader.blocks(blocks)
    title = " ".join(w for w, *_ in _pandoc_meta_tokens(meta.get("title"), reader))
    return {"meta": (meta, title), "blocks": converted, "notes": tuple(reader.notes)}


def _pandoc_meta_tokens(value, reader) -> tuple:
    if value is None:
        return ()
    if value.name == "MetaInlines":
        return reader.tokens(value.args[0])[0]
    if value.name == "MetaList":
        return tuple(t for item in value.args[0] for t in _pandoc_meta_tokens(item, reader))
    return ()


class _PandocReader:
    def __init__(
        self,
        drop_span_classes: frozenset = frozenset(),
        flatten_definition_lists: bool = False,
        unlink_internal: bool = False,
    ):
        self.notes: list[tuple] = []
        self.drop_span_classes = drop_span_classes
        self.flatten_definition_lists = flatten_definition_lists
        self.unlink_internal = unlink_internal

    def blocks(self, blocks) -> tuple:
        out = []
        for block in blocks:
            out.extend(self.block(block))
        return tuple(out)

    def block(self, block: Con) -> list:
        name, args = block.name, block.args
        if name in ("Para", "Plain"):
            tokens, figures = self.tokens(args[0])
            return ([("para", tokens)] if tokens else []) + figures
        if name == "Header":
            tokens, figures = self.tokens(args[2])
            # An empty heading is dropped by our reader on purpose (a screen reader would
            # announce "heading level 2" and nothing), so it is dropped here too.
            return ([("heading", args[0], tokens)] if tokens else []) + figures
        if name == "BulletList":
            return [("bullet", tuple(self.blocks(item) for item in args[0]))]
        if name == "OrderedList":
            return [("ordered", args[0][0], tuple(self.blocks(item) for item in args[1]))]
        if name == "BlockQuote":
            return [("quote", self.blocks(args[0]))]
        if name == "Div":
            return list(self.blocks(args[1]))
        if name == "HorizontalRule":
            return [("rule",)]
        if name == "Table":
            return [self.table(args)]
        if name == "DefinitionList" and self.flatten_definition_lists:
            out = []
            for term, definitions in args[0]:
                out.append(("para", self.tokens(term)[0]))
                for definition in definitions:
                    out.extend(self.blocks(definition))
            return out
        if name == "DefinitionList":
            return [
                (
                    "definition-list",
                    tuple(
                        (self.tokens(term)[0], tuple(self.blocks(d) for d in definitions))
                        for term, definitions in args[0]
                    ),
                )
            ]
        if name == "Figure":
            return list(self.blocks(args[2]))
        raise ValueError(f"block {name} not handled")

    def table(self, args) -> tuple:
        _attr, caption, _colspecs, head, bodies, _foot = args
        caption_tokens = tuple(t for b in self.blocks(caption.args[1]) for t in b[-1])

        def rows(row_list):
            return tuple(
                tuple(
                    (cell.args[3].args[0], cell.args[2].args[0], self.blocks(cell.args[4]))
                    for cell in row.args[1]
                )
                for row in row_list
            )

        header = rows(head.args[1])
        body: tuple = ()
        for table_body in bodies:
            header += rows(table_body.args[2])
            body += rows(table_body.args[3])
        return ("table", caption_tokens, header, body)

    def tokens(self, inlines) -> tuple[tuple, list]:
        chars: list[tuple[str, frozenset]] = []
        figures: list = []

        def walk(nodes, flags: frozenset) -> None:
            for node in nodes:
                name, args = node.name, node.args
                if name == "Str":
                    chars.extend((c, flags) for c in args[0])
                elif name in ("Space", "SoftBreak"):
                    chars.append((" ", flags))
                elif name == "LineBreak":
                    chars.append(("\n", flags))
                elif name == "Code":
                    chars.extend((c, flags | {"code"}) for c in args[1])
                elif name == "Strong":
                    walk(args[0], flags | {"strong"})
                elif name == "Emph":
                    walk(args[0], flags | {"emph"})
                elif name == "Link" and self.unlink_internal and args[2][0].startswith("#"):
                    walk(args[1], flags)
                elif name == "Link":
                    walk(args[1], flags | {_link_flag(args[2][0])})
                elif name in ("Underline", "SmallCaps", "Strikeout", "Superscript", "Subscript"):
                    walk(args[0], flags)
                elif name == "Span":
                    if not set(args[0][1]) & self.drop_span_classes:
                        walk(args[1], flags)
                elif name == "Quoted":
                    walk(args[1], flags)
                elif name == "Image":
                    figures.append(("figure", self.tokens(args[1])[0]))
                elif name == "Note":
                    chars.extend([(" ", flags), (_NOTE, flags), (" ", flags)])
                    self.notes.append(self.blocks(args[0]))
                else:
                    raise ValueError(f"inline {name} not handled")

        walk(inlines, frozenset())
        return _tokens(chars), figures


def meta_agrees(our_meta: tuple, their_meta: tuple) -> bool:
    """Title, authors and abstract, when Pandoc found them."""
    meta, _title = their_meta
    if not meta:
        return True
    reader = _PandocReader()
    title, authors, description = our_meta

    def words(value) -> list[str]:
        return [t[0] for t in _pandoc_meta_tokens(value, reader)]

    return (
        words(meta.get("title")) == [w for w, *_ in _our_tokens((Text(title),))]
        and words(meta.get("author")) == [w for w, *_ in _our_tokens((Text(" ".join(authors)),))]
        and words(meta.get("abstract")) == [w for w, *_ in _our_tokens((Text(description),))]
    )
