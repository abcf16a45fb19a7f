"""Text normalisation for speech: inputs and the words a British listener should hear.

Each expected text is written the way a good narrator reads the input aloud (RNIB / UKAAF
guidance for audio production), not copied from the normaliser's output.
"""

from __future__ import annotations

import pytest

from pipeline.stages.audio.normalise import normalise, vocabulary_of

PRONUNCIATIONS = (("NHS", "N H S"), ("Co-op", "co-op"), ("KCC", "K C C"), ("Caerdydd", "Kyre-deethe"))
# The words of a report that mentions Kettle and Compass, for splitting run-together addresses.
VOCABULARY = vocabulary_of(
    "Kettle and Compass is a charity. Our ethics guidance, formats and example pages. Read the report."
)

CASES = [
    # money
    (
        "£1,179,818.54",
        "one million, one hundred and seventy-nine thousand, eight hundred and "
        "eighteen pounds and fifty-four pence",
    ),
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
    ("about 6.8% of the total", "about six point eight per cent of the total"),
    # years, decades and year ranges
    ("In 2023, 1,482 people", "In twenty twenty-three, 1,482 people"),
    ("in 2023 we", "in twenty twenty-three we"),
    ("since 1999", "since nineteen ninety-nine"),
    ("in 2000", "in two thousand"),
    ("in 2005", "in two thousand and five"),
    ("in 1905", "in nineteen oh five"),
    ("the 1990s", "the nineteen nineties"),
    ("in the 2010s", "in the twenty tens"),
    ("1980s music", "nineteen eighties music"),
    ("2019-2023", "twenty nineteen to twenty twenty-three"),
    ("2019–2023", "twenty nineteen to twenty twenty-three"),
    ("the 2023/24 financial year", "the twenty twenty-three to twenty-four financial year"),
    ("from 2019-20", "from twenty nineteen to twenty twenty"),
    ("Impact report 2023", "Impact report twenty twenty-three"),
    ("1500 people", "1500 people"),  # a count, not a year
    ("year's review", "year's review"),
    # dates, in British order
    ("2024-03-01", "the first of March twenty twenty-four"),
    ("1 March 2024", "the first of March twenty twenty-four"),
    ("on 22nd June 2023", "on the twenty-second of June twenty twenty-three"),
    ("1st March", "the first of March"),
    ("March 2024", "March twenty twenty-four"),
    ("15/03/2024", "the fifteenth of March twenty twenty-four"),
    ("Monday 4 March 2024", "Monday the fourth of March twenty twenty-four"),
    ("4 Mar 2024", "the fourth of March twenty twenty-four"),
    ("March 15, 2024", "March the fifteenth, twenty twenty-four"),
    ("4-6 March 2024", "the fourth to the sixth of March twenty twenty-four"),
    ("2023-13-45", "2023-13-45"),  # not a date: left alone
    # ranges
    ("from January to September 2024", "from January to September twenty twenty-four"),
    ("January–September 2024", "January to September twenty twenty-four"),
    ("pages 10–12", "pages 10 to 12"),
    ("10-12 people", "10 to 12 people"),
    # times
    ("at 9am", "at nine a m"),
    ("at 9.30am", "at nine thirty a m"),
    ("at 10:15 pm", "at ten fifteen p m"),
    ("open 9am-5pm", "open nine a m to five p m"),
    ("at 14:30", "at two thirty p m"),
    ("at 09:05", "at nine oh five a m"),
    ("at 12:00", "at twelve noon"),
    ("10:00–16:00", "ten a m to four p m"),
    # ordinals
    ("21st", "twenty-first"),
    ("the 3rd time", "the third time"),
    ("our 100th event", "our one hundredth event"),
    # plain numbers stay digits: espeak-ng reads them well
    ("Sessions: 21.", "Sessions: 21."),
    ("we trained 502 people", "we trained 502 people"),
    # phone numbers: digit by digit in their groups, zero as "oh"
    ("029 2034 5678", "oh two nine, two oh three four, five six seven eight"),
    ("call 01234 567890 today", "call oh one two three four, five six seven eight nine oh today"),
    ("0800 123 4567", "oh eight oh oh, one two three, four five six seven"),
    ("+44 29 2034 5678", "plus four four, two nine, two oh three four, five six seven eight"),
    ("07700900123", "oh seven seven oh oh, nine oh oh one two three"),
    # postcodes and reference codes: letter by letter, no "dash"
    ("CF10 3AT", "C F ten, three A T"),
    ("Cardiff CF24 4HQ.", "Cardiff C F twenty-four, four H Q."),
    ("SW1A 1AA", "S W one A, one A A"),
    ("KCC-ETH-2023-01", "K C C, E T H, twenty twenty-three, oh one"),
    ("ref REC-22/WA/0041", "ref R E C, two two, W A, oh oh four one"),
    ("ABC-XYZ", "A B C, X Y Z"),
    ("during COVID-19", "during covid nineteen"),
    # roads
    ("the A4067", "the A four oh six seven"),
    ("the A40 and the M4", "the A forty and the M four"),
    ("the A470 north", "the A four seven oh north"),
    ("the A48(M)", "the A forty-eight M"),
    # web and email addresses, read plainly
    ("kettleandcompass.org.uk/ethics", "kettle and compass dot org dot uk slash ethics"),
    (
        "see https://www.example.org/kettle-and-compass/ethics-guidance.",
        "see example dot org slash kettle and compass slash ethics guidance.",
    ),
    ("www.kettleandcompass.org.uk", "kettle and compass dot org dot uk"),
    ("formats@example.org", "formats at example dot org"),
    ("formats@kettleandcompass.example.org", "formats at kettle and compass dot example dot org"),
    ("email info.desk@nhs.uk now", "email info dot desk at nhs dot uk now"),
    # pronunciations from the report (whole words, case-sensitive), before anything else
    ("NHS staff", "N H S staff"),
    ("NHSX and nhs", "NHSX and nhs"),
    ("Kettle and Compass (KCC)", "Kettle and Compass (K C C)"),
    ("in Caerdydd", "in Kyre-deethe"),
    # symbols, abbreviations and units
    ("Fish & chips", "Fish and chips"),
    ("R&D", "R and D"),
    ("and/or", "and or"),
    ("staff/volunteers", "staff or volunteers"),
    ("e.g. this", "for example this"),
    ("i.e. that", "that is that"),
    ("tea, coffee etc.", "tea, coffee et cetera"),
    ("He said – quietly – no", "He said, quietly, no"),
    ("— A cuppa regular", "A cuppa regular"),
    ("x < 5", "x less than 5"),  # espeak reads markup aloud: no angle brackets
    ("20°C", "20 degrees Celsius"),
    ("2½ hours", "2 and a half hours"),
    ("a 5km walk", "a 5 kilometres walk"),
    ("No. 5", "number 5"),
    ("Dr Price", "Doctor Price"),
    # words with hyphens stay words
    ("co-production and meet-ups", "co-production and meet-ups"),
]

SHORT_CASES = [
    ("£1,179,818.54", "one point one eight million pounds"),
    ("£1,265,896.81 in total", "one point two seven million pounds in total"),
    ("£86,078.27", "eighty-six thousand and seventy-eight pounds and twenty-seven pence"),
    ("£2,500,000", "two point five million pounds"),
]

WELSH_CASES = [
    ("£5", "5 o bunnoedd"),
    ("£2.50", "2 o bunnoedd a 50 ceiniog"),
    ("35%", "35 y cant"),
    ("10-20%", "10 i 20 y cant"),
    ("2019-2023", "2019 i 2023"),
    ("te & bara", "te a bara"),
    ("15 Mawrth 2024", "y pymthegfed o Fawrth 2024"),
    ("ar 8 Tachwedd", "ar yr wythfed o Dachwedd"),
    ("2024-12-01", "y cyntaf o Ragfyr 2024"),
    ("2il Mai", "yr ail o Fai"),
    ("21 Chwefror", "y cyntaf ar hugain o Chwefror"),
    ("y 3ydd tro", "y trydydd tro"),
    ("4 Gorffennaf", "y pedwerydd o Orffennaf"),
    # Phone numbers, codes and postcodes digit by digit or letter by letter (espeak's Welsh voice
    # names letters in Welsh, but reads "2034" as "dwy fil tri deg pedwar" and "AT" as a word).
    ("029 2034 5678", "dim dau naw, dau dim tri pedwar, pump chwech saith wyth"),
    ("+44 (0)29 2034 5678", "plws pedwar pedwar, dau naw, dau dim tri pedwar, pump chwech saith wyth"),
    ("cyfeirnod TAC-CYM-2024-02", "cyfeirnod T A C, C Y M, 2024, dim dau"),
    ("CF10 3AT", "C F 10, 3 A T"),
    ("www.example.org/tegell/canllawiau", "example dot org slaes tegell slaes canllawiau"),
    # The Welsh clock, with the part of the day; "am" softens what follows it.
    ("am 19:30", "am hanner awr wedi saith yr hwyr"),
    ("erbyn 9:45", "erbyn chwarter i ddeg y bore"),
    ("am 10yb", "am ddeg o'r gloch y bore"),
    ("tan 2yp", "tan dau o'r gloch y prynhawn"),
    ("am 7.05yh", "am bum munud wedi saith yr hwyr"),
    ("12:00", "hanner dydd"),
    ("am 7:07", "am saith munud wedi saith y bore"),
    ("erbyn 16:40", "erbyn ugain munud i bump y prynhawn"),
    ("am 6pm", "am chwech o'r gloch yr hwyr"),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) + len(SHORT_CASES) + len(WELSH_CASES) >= 80
    assert len({text for text, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("text, spoken", CASES, ids=[case[0] for case in CASES])
def test_normalise(text: str, spoken: str) -> None:
    assert normalise(text, PRONUNCIATIONS, vocabulary=VOCABULARY) == spoken


@pytest.mark.parametrize("text, spoken", SHORT_CASES, ids=[case[0] for case in SHORT_CASES])
def test_short_sums(text: str, spoken: str) -> None:
    assert normalise(text, vocabulary=VOCABULARY, short_sums=True) == spoken


@pytest.mark.parametrize("text, spoken", WELSH_CASES, ids=[case[0] for case in WELSH_CASES])
def test_welsh(text: str, spoken: str) -> None:
    assert normalise(text, language="cy") == spoken


def test_every_symbol_espeak_mishandles_is_gone() -> None:
    text = (
        "We raised £1,179,818.54 (35% more) between 2019-2023 & on 1 March 2024 "
        "thanked the NHS; ref KCC-ETH-2023-01, www.kettleandcompass.org.uk."
    )
    spoken = normalise(text, PRONUNCIATIONS, vocabulary=VOCABULARY)
    for symbol in ("£", "%", "&", "–", "2019", "2023", "2024", "1 March", "-E", "www", "://"):
        assert symbol not in spoken, symbol
