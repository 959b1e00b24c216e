import string

from hypothesis import given
from hypothesis import strategies as st

from dedup.normalize import clean_lines, content_key, normalize_text

ARTICLE = "Xi calls Putin\n\nFirst paragraph here.\n\nSecond paragraph."


def test_noise_lines_and_prefixes_are_removed() -> None:
    noisy = (
        "Xi calls Putin\n\nXi calls Putin\n\n date 2022-06-16 First paragraph here.\n\n"
        "Advertisement\n\nSecond paragraph.اضافة اعلان\n\nRead more Region and World"
    )
    assert normalize_text(noisy) == normalize_text(ARTICLE)
    assert content_key(noisy) == content_key(ARTICLE)


def test_unicode_and_case_are_folded() -> None:
    assert normalize_text("ＸＩ  Calls\u00a0PUTIN") == "xi calls putin"


def test_date_line_after_title_is_dropped() -> None:
    assert clean_lines("Title\n\nJune 16, 2022 10:00 GMT\n\nBody text.") == ["title", "body text."]


def test_different_text_gives_different_key() -> None:
    assert content_key(ARTICLE) != content_key(ARTICLE.replace("Second", "Third"))


def test_date_inside_a_paragraph_is_kept() -> None:
    assert "june 16, 2022" in normalize_text("Title\n\nTalks began. On June 16, 2022 they met.")


words = st.text(
    alphabet=string.ascii_letters + string.digits + "абвгдеёжзийк.,'-", min_size=1, max_size=12
)
lines = st.lists(st.lists(words, min_size=1, max_size=8), min_size=1, max_size=6)


@given(st.text(max_size=300))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(
    lines,
    st.lists(st.sampled_from([" ", "  ", "\t", " \t "]), min_size=1),
    st.integers(min_value=1, max_value=3),
)
def test_key_ignores_spacing_and_case(
    text_lines: list[list[str]], gaps: list[str], blank: int
) -> None:
    plain = "\n\n".join(" ".join(line) for line in text_lines)
    spaced = ("\n" * (blank + 1)).join(
        gaps[i % len(gaps)].join(line) + gaps[-1] for i, line in enumerate(text_lines)
    )
    assert content_key(spaced.upper()) == content_key(plain)
