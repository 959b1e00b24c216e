import pytest

from dedup.anchors import anchor_weight, paragraph_anchors, quotes
from dedup.language import detect_language
from dedup.normalize import normalize_text


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The president said that the talks were held in Beijing.", "en"),
        ("Il presidente ha detto che i colloqui sono stati tenuti a Pechino.", "it"),
        ("Le président a dit que les entretiens ont eu lieu dans la capitale.", "fr"),
        ("Der Präsident sagte, dass die Gespräche in der Hauptstadt stattfanden.", "de"),
        ("El presidente dijo que las conversaciones se celebraron en la capital.", "es"),
        ("Президент заявил, что переговоры прошли в Пекине.", "ru"),
        ("主席表示，会谈在北京举行。", "zh"),
        ("وقال الرئيس إن المحادثات جرت في بكين.", "ar"),
        ("12345", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "Xi told Putin on June 15 that trade hit $147 billion",
        "Il 15 giugno Xi ha detto a Putin che il commercio ha raggiunto 147 miliardi di dollari",
        "15 июня Си Цзиньпин сказал Путину, что товарооборот достиг 147 миллиардов долларов",
        "6月15日习近平对普京说，贸易额达到1470亿美元",
        "في 15 يونيو قال شي لبوتين إن التجارة بلغت 147 مليار دولار",
    ],
)
def test_anchors_agree_across_languages(text: str) -> None:
    anchors = set(paragraph_anchors(normalize_text(text)))
    assert {"e:xi", "e:putin", "d:06-15", "n:1.47e+11"} <= anchors


def test_ordinals_and_aliases() -> None:
    assert paragraph_anchors(normalize_text("his 69th birthday")) == ["n:69", "e:birthday"]
    assert paragraph_anchors(normalize_text("il suo 69esimo compleanno")) == ["n:69", "e:birthday"]
    assert set(paragraph_anchors(normalize_text("НАТО и Украина, 北约 乌克兰"))) == {
        "e:nato",
        "e:ukraine",
    }


def test_ambiguous_month_words_need_a_day() -> None:
    assert paragraph_anchors(normalize_text("they may meet in March")) == []
    assert paragraph_anchors(normalize_text("on May 16")) == ["d:05-16"]


def test_specific_names_outweigh_common_ones() -> None:
    assert anchor_weight("e:lavrov") > anchor_weight("e:china")
    assert anchor_weight("d:06-15") > anchor_weight("w:3")


def test_quotes() -> None:
    text = normalize_text("He said “no limits to the partnership” and «ещё одна цитата здесь» ok")
    assert quotes(text) == ["no limits to the partnership", "ещё одна цитата здесь"]
