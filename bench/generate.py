"""Write a long, realistic report for benchmarks: headings to level 3, paragraphs, nested lists,
tables, figures, notes and a Welsh span, in the same Markdown the team writes."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

VOCABULARY = (
    "people co-production session research team charity council university network "
    "listening workshop training talk funding bid outcome value justice connection "
    "capacity community member partner project student health carer ethics guidance "
    "event meeting cuppa first-timer report impact year month staff volunteer "
    "together design decision voice change practice evidence learning"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.2:
        words.insert(rng.randint(0, len(words)), f"{rng.randint(2, 900)}")
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def write_report(folder: Path, target_words: int, seed: int = 2023) -> Path:
    """sources-like folder with <slug>.md and a chart; returns the .md path."""
    rng = random.Random(seed)
    slug = folder.name
    folder.mkdir(parents=True, exist_ok=True)
    chart = Image.new("RGB", (800, 400), "white")
    draw = ImageDraw.Draw(chart)
    for i in range(6):
        draw.rectangle((50 + i * 120, 380 - 50 * (i + 1), 140 + i * 120, 380), fill=(30, 70, 150))
    chart.save(folder / "chart.png")
    lines = [
        "---",
        f"title: Benchmark report of {target_words} words",
        "publisher: Bench Charity",
        "date: 2024-01-31",
        "language: en-GB",
        "contact: formats@example.org",
        "---",
        "",
    ]
    words, chapter, note = 0, 0, 0
    while words < target_words:
        chapter += 1
        lines += [f"# Chapter {chapter}", ""]
        for section in range(1, 4):
            lines += [f"## Section {chapter}.{section}", ""]
            for _ in range(4):
                text = _paragraph(rng)
                if rng.random() < 0.1:
                    note += 1
                    text += f"[^n{note}]"
                    lines += [f"[^n{note}]: {_sentence(rng)}", ""]
                lines += [text, ""]
                words += len(text.split())
            lines += [
                "### Details",
                "",
                f"- {_sentence(rng)}",
                f"  1. {_sentence(rng)}",
                f"  2. {_sentence(rng)}",
                f"- {_sentence(rng)} [Diolch yn fawr]{{lang=cy}}.",
                "",
            ]
            words += 60
        lines += ["| Activity | Sessions | People |", "| --- | ---: | ---: |"]
        lines += [
            f"| {rng.choice(VOCABULARY)} | {rng.randint(1, 30)} | {rng.randint(10, 900)} |" for _ in range(5)
        ]
        lines += [
            "",
            f"Table: Activity in chapter {chapter}",
            "",
            f'![A bar chart of six rising bars for chapter {chapter}](chart.png "Figure {chapter}: growth")',
            "",
        ]
    path = folder / f"{slug}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
