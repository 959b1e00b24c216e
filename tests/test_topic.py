"""The Sino-Russian diplomacy topic filter."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.topic import Topic, TopicConfigError, TopicScore, load_topic

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
TOPIC = load_topic()

OFF_TOPIC = {
    "sports": (
        "Real Madrid beat Barcelona 3-1 in El Clasico on Sunday. Vinicius scored twice before "
        "half-time and Bellingham added a third as the home side moved five points clear at the "
        "top of La Liga. The coach praised his players' discipline after a tense second half."
    ),
    "weather": (
        "Heavy rain and thunderstorms are expected across northern Italy this weekend. Forecasters "
        "warned of flooding in Milan and Turin, with temperatures dropping by ten degrees. The "
        "civil protection agency issued an orange alert for Lombardy and Piedmont."
    ),
    "china_economy": (
        "China's economy grew 5.2% last year as Beijing stepped up support for manufacturing. "
        "Chinese exports rose in December, the National Bureau of Statistics said, while the "
        "property sector remained weak. Economists expect the People's Bank of China to cut "
        "interest rates again. Premier Li Qiang said China would meet its growth target."
    ),
    "russia_only": (
        "Russia's central bank raised its key interest rate to 16% as the rouble weakened. "
        "Governor Elvira Nabiullina said inflation in Russia remained high, and the Kremlin said "
        "President Vladimir Putin had been briefed. Moscow residents queued at exchange offices. "
        "Russian banks reported record demand for foreign currency."
    ),
    "russia_only_ru": (
        "Банк России повысил ключевую ставку до 16%. Путин провёл совещание в Кремле по "
        "экономическим вопросам. Москва и регионы готовятся к зиме."
    ),
}

ON_TOPIC = {
    "ru": (
        "Президент России Владимир Путин провёл телефонный разговор с председателем КНР "
        "Си Цзиньпином. Лидеры России и Китая обсудили двустороннее сотрудничество, сообщили в "
        "Кремле. Пекин и Москва договорились о визите министра иностранных дел Лаврова."
    ),
    "zh": (
        "国家主席习近平同俄罗斯总统普京通电话。习近平指出，中俄关系保持良好发展势头。"
        "双方同意加强战略协作。外交部发言人表示，北京与莫斯科将继续会谈。"
    ),
    "ar": (
        "أجرى الرئيس الصيني شي جين بينغ اتصالا هاتفيا مع الرئيس الروسي فلاديمير بوتين. "
        "وقال الكرملين إن الصين وروسيا ستعززان الشراكة. "
        "وأعلنت وزارة الخارجية في بكين أن موسكو وبكين ستواصلان المحادثات."
    ),
    "fr": (
        "Le président chinois Xi Jinping s'est entretenu avec Vladimir Poutine. Pékin et Moscou "
        "renforcent leur partenariat, selon le Kremlin. La Chine soutient la Russie, a indiqué "
        "le ministère des Affaires étrangères."
    ),
    "de": (
        "Chinas Staatschef Xi Jinping hat mit Wladimir Putin telefoniert. Peking und Moskau "
        "wollen ihre Partnerschaft vertiefen, teilte der Kreml mit. China unterstützt Russland, "
        "erklärte das Außenministerium nach dem Telefonat."
    ),
    "es": (
        "El presidente chino, Xi Jinping, habló con Vladímir Putin. Pekín y Moscú reforzarán su "
        "asociación estratégica, según el Kremlin. China apoya a Rusia, dijo la cancillería "
        "tras las conversaciones."
    ),
}


def test_seeds_exist() -> None:
    assert len(SEEDS) == 5


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seeds_are_relevant(path: Path) -> None:
    result = TOPIC.score(path.read_text(encoding="utf-8"))
    assert TOPIC.is_relevant(result), result
    assert result.matches.get("putin", 0) > 0


@pytest.mark.parametrize("language", sorted(ON_TOPIC))
def test_other_languages_are_relevant(language: str) -> None:
    result = TOPIC.score(ON_TOPIC[language])
    assert TOPIC.is_relevant(result), result


@pytest.mark.parametrize("name", sorted(OFF_TOPIC))
def test_off_topic_texts_are_not_relevant(name: str) -> None:
    result = TOPIC.score(OFF_TOPIC[name])
    assert not TOPIC.is_relevant(result), result


def test_one_sided_text_scores_zero_but_reports_matches() -> None:
    result = TOPIC.score(OFF_TOPIC["china_economy"])
    assert result.score == 0.0
    assert result.matches["china"] >= 3


def test_inflected_russian_and_stems() -> None:
    matches = TOPIC.score(
        "Путина, Путину, Путиным; России, Россию; Китая, Китае, китайские"
    ).matches
    assert matches["putin"] == 3
    assert matches["russia"] == 2
    assert matches["china"] == 3


def test_overlapping_spellings_count_once() -> None:
    assert TOPIC.score("俄罗斯").matches == {"russia": 1}


def test_cased_terms() -> None:
    assert "xi_jinping" not in TOPIC.score("Louis XI and Pius XI").matches
    assert TOPIC.score("Xi said").matches == {"xi_jinping": 1}
    assert "moscow" not in TOPIC.score("una mosca sul vetro").matches
    assert TOPIC.score("Mosca e Pechino").matches == {"moscow": 1, "beijing": 1}


def test_word_boundaries() -> None:
    assert TOPIC.score("Russianness of Chinatown in Xiamen").matches == {"russia": 1}
    assert TOPIC.score("Russia’s and China’s").matches == {"russia": 1, "china": 1}


def test_is_relevant_accepts_a_float() -> None:
    assert TOPIC.is_relevant(TOPIC.threshold)
    assert not TOPIC.is_relevant(TOPIC.threshold - 0.01)


@pytest.mark.parametrize(
    "title",
    [
        "Putin visits Pyongyang",
        "Xi meets Biden in San Francisco",
        "Погода в Москве",
        "Лавров прибыл в Пекин",
        "习近平会见外宾",
        "بوتين يلتقي",
        "Foreign ministers hold talks",
        "東京で地震",  # Japanese: a script the lexicon does not cover
        "",
    ],
)
def test_title_may_be_relevant(title: str) -> None:
    assert TOPIC.title_may_be_relevant(title)


@pytest.mark.parametrize(
    "title", ["Real Madrid win El Clasico", "Погода: дожди и гроза", "Storms hit Milan"]
)
def test_title_clearly_off_topic(title: str) -> None:
    assert not TOPIC.title_may_be_relevant(title)


def test_title_in_uncovered_language_passes() -> None:
    assert TOPIC.title_may_be_relevant("Chuvas fortes em Lisboa", language="pt-BR")
    assert not TOPIC.title_may_be_relevant("Storms hit Milan", language="en")


@given(st.text(max_size=500))
def test_score_never_crashes_and_stays_in_range(text: str) -> None:
    result = TOPIC.score(text)
    assert isinstance(result, TopicScore)
    assert 0.0 <= result.score <= 1.0
    assert all(count > 0 for count in result.matches.values())
    assert isinstance(TOPIC.title_may_be_relevant(text), bool)


@given(st.lists(st.sampled_from(["Putin", "Xi Jinping", "talks", "China", "Moscow", "rain"])))
def test_score_in_range_for_topic_words(words: list[str]) -> None:
    assert 0.0 <= TOPIC.score(" ".join(words)).score <= 1.0


def test_user_topic_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "topic.toml"
    path.write_text(
        'threshold = 0.1\nlanguages = ["en"]\n'
        '[concept.a]\nside = "china"\nterms = ["panda"]\n'
        '[concept.b]\nside = "russia"\nterms = ["bear*"]\n',
        encoding="utf-8",
    )
    topic = load_topic(path)
    assert isinstance(topic, Topic)
    assert topic.is_relevant(topic.score("the panda met the bears"))
    monkeypatch.setenv("NEWSMON_TOPIC", str(path))
    assert load_topic().threshold == 0.1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("threshold = 2\n[concept.a]\nside='china'\nterms=['x']", "between 0 and 1"),
        ("[concept.a]\nside='east'\nterms=['x']", "side must be one of"),
        ("[concept.a]\nside='china'\nterms='x'", "must be a list of non-empty strings"),
        ("[concept.a]\nside='china'\nterms=['x']\nweigth=2", "unknown keys ['weigth']"),
        ("[concept.a]\nside='china'", "has no terms"),
        ("threshold = 0.5\n", "define at least one [concept.NAME] table"),
        ("thresold = 0.5\n[concept.a]\nside='china'\nterms=['x']", 'top-level key "thresold"'),
        ("[concept.a\n", "is not valid TOML"),
    ],
)
def test_bad_topic_files(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TopicConfigError) as info:
        load_topic(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_missing_topic_file(tmp_path: Path) -> None:
    with pytest.raises(TopicConfigError, match="cannot be read"):
        load_topic(tmp_path / "missing.toml")
