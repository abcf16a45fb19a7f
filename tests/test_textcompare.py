import random
import time

from pipeline.textcompare import in_order_recall, words


def test_words_ignores_case_punctuation_and_keeps_apostrophes():
    assert words("We’re 35% up — £1,179,818.54!") == ["we're", "35", "up", "1", "179", "818", "54"]


def test_extra_words_in_the_output_cost_nothing():
    assert in_order_recall(["a", "b", "c"], ["title", "a", "image", "b", "c", "end"]) == 1.0


def test_missing_and_reordered_words_cost():
    assert in_order_recall(list("abcd"), list("abd")) == 0.75
    assert in_order_recall(list("abcd"), list("dcba")) == 0.25


def test_one_lost_word_does_not_drag_the_alignment_past_good_text():
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(30)]
    text = [rng.choice(vocabulary) for _ in range(5000)]
    damaged = text[:1000] + text[1001:]
    assert in_order_recall(text, damaged) >= 0.999


def test_long_repetitive_text_is_fast_enough_to_check_a_book():
    rng = random.Random(2)
    text = [rng.choice(["the", "people", "session", "charity"]) for _ in range(200_000)]
    started = time.process_time()
    assert in_order_recall(text, text) == 1.0
    # Not a speed target (those live in make bench): a guard against going quadratic again,
    # which took minutes here.
    assert time.process_time() - started < 20


def test_a_long_contents_list_before_the_body_does_not_hide_the_body():
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(500)]
    body = []
    headings = []
    for chapter in range(200):
        heading = ["chapter", str(chapter)]
        headings += heading
        body += heading + [rng.choice(vocabulary) for _ in range(60)]
    output = ["contents"] + headings * 3 + body  # a contents list far longer than a page
    assert in_order_recall(body, output) >= 0.999
