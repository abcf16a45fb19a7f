"""Characters inserted with Insert > Symbol from symbol fonts (w:sym), as Unicode.

Word stores such a character as a position in the font (Symbol's 0xDA is the logical "or"),
which means nothing outside that font. Only Symbol's letters and common signs and the Wingdings
ticks, crosses, boxes and bullets are mapped: they carry meaning ("✓" in a table cell is "yes").
Anything else from those fonts is decoration and is left out rather than shown as a wrong letter.
"""
from __future__ import annotations

_GREEK_UPPER = "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ"
_GREEK_LOWER = "αβχδεφγηιϕκλμνοπθρστυϖωξψζ"

_SYMBOL = {
    **{0x41 + i: c for i, c in enumerate(_GREEK_UPPER)},
    **{0x61 + i: c for i, c in enumerate(_GREEK_LOWER)},
    **{code: chr(code) for code in range(0x20, 0x41) if chr(code) not in "\"$'*-@"},
    0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x40: "≅", 0x5B: "[", 0x5C: "∴",
    0x5D: "]", 0x5E: "⊥", 0x5F: "_", 0x7B: "{", 0x7C: "|", 0x7D: "}", 0x7E: "∼",
    0xA1: "ϒ", 0xA2: "′", 0xA3: "≤", 0xA4: "⁄", 0xA5: "∞", 0xA6: "ƒ", 0xA7: "♣", 0xA8: "♦",
    0xA9: "♥", 0xAA: "♠", 0xAB: "↔", 0xAC: "←", 0xAD: "↑", 0xAE: "→", 0xAF: "↓", 0xB0: "°",
    0xB1: "±", 0xB2: "″", 0xB3: "≥", 0xB4: "×", 0xB5: "∝", 0xB6: "∂", 0xB7: "•", 0xB8: "÷",
    0xB9: "≠", 0xBA: "≡", 0xBB: "≈", 0xBC: "…", 0xC0: "ℵ", 0xC1: "ℑ", 0xC2: "ℜ", 0xC3: "℘",
    0xC4: "⊗", 0xC5: "⊕", 0xC6: "∅", 0xC7: "∩", 0xC8: "∪", 0xC9: "⊃", 0xCA: "⊇", 0xCB: "⊄",
    0xCC: "⊂", 0xCD: "⊆", 0xCE: "∈", 0xCF: "∉", 0xD0: "∠", 0xD1: "∇", 0xD2: "®", 0xD3: "©",
    0xD4: "™", 0xD5: "∏", 0xD6: "√", 0xD7: "⋅", 0xD8: "¬", 0xD9: "∧", 0xDA: "∨", 0xDB: "⇔",
    0xDC: "⇐", 0xDD: "⇑", 0xDE: "⇒", 0xDF: "⇓", 0xE0: "◊", 0xE1: "⟨", 0xE5: "∑", 0xF1: "⟩",
    0xF2: "∫",
}

_WINGDINGS = {0x9F: "•", 0xA7: "▪", 0xA8: "☐", 0x6C: "●", 0x6E: "■", 0x6F: "☐", 0x71: "❑",
              0x76: "❖", 0xD8: "➢", 0xE0: "→", 0xE8: "➔", 0xF0: "⇨", 0xFB: "✗", 0xFC: "✓",
              0xFD: "☒", 0xFE: "☑", 0x4A: "☺", 0x4C: "☹"}

SYMBOL_FONTS: dict[str, dict[int, str]] = {
    "symbol": _SYMBOL,
    "wingdings": _WINGDINGS,
}
