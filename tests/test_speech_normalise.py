"""Text normalisation for speech: inputs and the words a British listener should hear."""
from __future__ import annotations

import pytest

from pipeline.stages.audio.normalise import normalise

PRONUNCIATIONS = (("NHS", "N H S"), ("Co-op", "co-op"))

CASES = [
    # money
    ("£1,179,818.54", "one million, one hundred and seventy-nine thousand, eight hundred and "
                      "eighteen pounds and fifty-four pence"),
    ("£1", "one pound"),
    ("£0.54", "fifty-four pence"),
    ("£1.01", "one pound and one penny"),
    ("£2.50", "two pounds and fifty pence"),
    ("£12.00", "twelve pounds"),
    ("£2.5m", "two point five million pounds"),
    ("£3bn", "three billion pounds"),
    ("£40k", "forty thousand pounds"),
    ("£5 million", "five million pounds"),
    ("$40", "forty dollars"),
    ("€1,000", "one thousand euros"),
    ("raised £101 in total", "raised one hundred and one pounds in total"),
    ("£5 more", "five pounds more"),
    # percentages
    ("35%", "thirty-five per cent"),
    ("3.5%", "three point five per cent"),
    ("10-20%", "ten to twenty per cent"),
    ("up 100%.", "up one hundred per cent."),
    # dates
    ("2024-03-01", "the first of March twenty twenty-four"),
    ("1 March 2024", "the first of March twenty twenty-four"),
    ("on 22nd June 2023", "on the twenty-second of June twenty twenty-three"),
    ("1st March", "the first of March"),
    ("March 2024", "March twenty twenty-four"),
    ("2023-13-45", "2023-13-45"),          # not a date: left alone
    # ranges
    ("2019-2023", "2019 to 2023"),
    ("2019–2023", "2019 to 2023"),
    ("pages 10–12", "pages 10 to 12"),
    # ordinals
    ("21st", "twenty-first"),
    ("the 3rd time", "the third time"),
    ("our 100th event", "our one hundredth event"),
    # plain numbers stay digits: espeak-ng reads them well
    ("In 2023, 1,482 people", "In 2023, 1,482 people"),
    ("Sessions: 21.", "Sessions: 21."),
    # pronunciations from the report (whole words, case-sensitive)
    ("NHS staff", "N H S staff"),
    ("NHSX and nhs", "NHSX and nhs"),
    # symbols and abbreviations
    ("Fish & chips", "Fish and chips"),
    ("R&D", "R and D"),
    ("and/or", "and or"),
    ("staff/volunteers", "staff or volunteers"),
    ("e.g. this", "for example this"),
    ("i.e. that", "that is that"),
    ("tea, coffee etc.", "tea, coffee et cetera"),
    ("He said – quietly – no", "He said, quietly, no"),
    ("x < 5", "x less than 5"),                 # espeak reads markup aloud: no angle brackets
    ("formats@example.org", "formats at example dot org"),
    ("20°C", "20 degrees Celsius"),
    ("2½ hours", "2 and a half hours"),
]


@pytest.mark.parametrize("text, spoken", CASES, ids=[case[0] for case in CASES])
def test_normalise(text: str, spoken: str) -> None:
    assert normalise(text, PRONUNCIATIONS) == spoken


def test_every_symbol_espeak_mishandles_is_gone() -> None:
    text = ("We raised £1,179,818.54 (35% more) between 2019-2023 & on 1 March 2024 "
            "thanked the NHS.")
    spoken = normalise(text, PRONUNCIATIONS)
    for symbol in ("£", "%", "&", "–", "2019-2023", "1 March"):
        assert symbol not in spoken
