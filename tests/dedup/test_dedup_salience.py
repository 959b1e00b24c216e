import math

import pytest
from wordfreq import get_frequency_dict

from dedup.features import Doc
from dedup.salience import (
    COMMON_ZIPF,
    MAX_TERMS,
    MIN_RARITY,
    UNSEEN_ZIPF,
    cosine,
    rarity,
    term_vector,
)


def test_rare_words_outweigh_common_ones_in_any_language() -> None:
    assert rarity("amur", "en") > rarity("bridge", "en") > rarity("monday", "en")
    assert rarity("благовещенск", "ru") > rarity("мост", "ru")
    assert rarity("thewordthatisnot", "en") > rarity("amur", "en")  # unseen: a rare name


@pytest.mark.parametrize("language", ["en", "ru", "zh"])
def test_rarity_is_the_zipf_frequency_wordfreq_gives(language: str) -> None:
    """Rarities are read off wordfreq's buckets, not its dictionary of frequencies: they
    must be what that dictionary gives, or stored salient-term vectors would change."""
    frequencies = get_frequency_dict(language)
    for word in list(frequencies)[::997]:
        zipf = math.log10(frequencies[word]) + 9
        assert rarity(word, language) == max(MIN_RARITY, COMMON_ZIPF - zipf)
    assert rarity("qqqzzzunseen", language) == COMMON_ZIPF - UNSEEN_ZIPF


def test_a_language_without_a_word_list_weighs_every_word_alike() -> None:
    assert rarity("anything", "xx") == rarity("else", "xx") == COMMON_ZIPF / 2


def test_the_vector_is_normalised_capped_and_led_by_the_event_words() -> None:
    doc = Doc(
        "Amur bridge opens between Blagoveshchensk and Heihe\n\n"
        "The first road bridge across the Amur opened on Friday, officials said.\n\n"
        + "\n\n".join(f"Paragraph {n} says something about the weather today." for n in range(5))
    )
    vector = term_vector(doc.features)
    assert len(vector) <= MAX_TERMS
    assert len(term_vector(doc.features, limit=3)) == 3
    assert math.isclose(sum(w * w for w in vector.values()), 1.0, abs_tol=1e-3)
    top = sorted(vector, key=vector.__getitem__, reverse=True)[:4]
    assert {"amur", "blagov", "heihe"} <= set(top)
    assert "friday" not in top


def test_title_words_count_more_than_the_same_words_in_the_body() -> None:
    body = "Officials said the talks went well.\n\nThe ministers met on Friday."
    titled = term_vector(
        Doc(f"Ministers discuss tariffs\n\n{body}\n\nTariffs were raised.").features
    )
    plain = term_vector(Doc(f"Ministers meet\n\n{body}\n\nTariffs were raised.").features)
    assert titled["tariff"] > plain["tariff"]


def test_han_text_gives_character_bigrams() -> None:
    vector = term_vector(
        Doc("中俄界河公路大桥通车\n\n黑河和布拉戈维申斯克之间的大桥正式通车。", "zh").features
    )
    assert "大桥" in vector
    assert all(len(term) == 2 for term in vector)


def test_cosine_of_sparse_vectors() -> None:
    assert cosine({"a": 1.0}, {"a": 2.0}) == 1.0
    assert cosine({"a": 1.0}, {"b": 1.0}) == 0.0
    assert math.isclose(cosine({"a": 1.0, "b": 1.0}, {"a": 1.0}), 1 / math.sqrt(2))
