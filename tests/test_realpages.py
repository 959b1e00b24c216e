"""How the real-page corpus turns other people's labels into snippets, and scores pages that
carry snippets only (Postlight's parser tests and goose3's give the first words of an
article, no body)."""

from __future__ import annotations

import math

import pytest

from crawler.extract import decode_html
from tests.realpages import (
    SPLITS,
    RealPage,
    RealScore,
    goose3_snippets,
    label_snippet,
    load_split,
    normal,
    page_blocks,
    postlight_labels,
    snacktory_labels,
)

#: The shape of a test in postlight/parser's ``src/extractors/custom/<host>/index.test.js``.
_POSTLIGHT_TEST = """
describe('WwwExampleComExtractor', () => {
  describe('initial test case', () => {
    beforeAll(() => {
      url =
        'https://www.example.com/2016/12/story.html';
      const html = fs.readFileSync('./fixtures/www.example.com.html');
    });
    it('returns the content', async () => {
      const first13 = excerptContent(
        $('*').first().text(),
        13
      );
      assert.equal(
        first13,
        'It\\u2019s been one of the most persistent narratives of the \\'last\\' year: Whenever'
      );
    });
  });
  describe('another page', () => {
    beforeAll(() => {
      url = 'https://www.example.com/video';
      const html = fs.readFileSync('./fixtures/www.example.com--video.html');
    });
    it('includes the video', async () => {
      assert.equal($('iframe').length, 1);
    });
  });
});
"""


def test_a_postlight_test_gives_its_fixture_url_and_content_label() -> None:
    assert postlight_labels(_POSTLIGHT_TEST) == [
        (
            "www.example.com",
            "https://www.example.com/2016/12/story.html",
            "It’s been one of the most persistent narratives of the 'last' year: Whenever",
        )
    ]


_CAPTIONED = (
    "<figure><img src='a.jpg'><figcaption>Photo by Steve Pope/Getty Images</figcaption>"
    "</figure><p>After the election, Twitter issued a statement to users.</p>"
    "<div class='pb-caption'>The mayor near the synagogue on Sunday morning</div>"
)
_BYLINE_HEADLINE_DEK = (
    "<div>Politik · Jochen Bittner</div><p>Was heißt Sozialismus?</p>"
    "<subtitle>Zum Beispiel die Kollektivierung von Firmen wie BMW.</subtitle>"
)


@pytest.mark.parametrize(
    ("body", "label", "snippet"),
    [
        pytest.param(  # cheerio's text() runs a heading into the lead: the lead's own text
            "<h2>Michelle Obama sees despair in America.</h2>"
            "<p>The first lady   suggested that the election of Donald Trump was a blow.</p>",
            "Michelle Obama sees despair in America.The first lady suggested that the election of",
            "The first lady suggested that the election of",
            id="run-together-blocks",
        ),
        pytest.param(
            _CAPTIONED,
            "Photo by Steve Pope/Getty Images After the election, Twitter issued a statement to",
            "After the election, Twitter issued a statement to",
            id="past-a-caption",
        ),
        pytest.param(
            _CAPTIONED, "The mayor near the synagogue on Sunday", None, id="a-caption-alone"
        ),
        pytest.param(  # Mercury's content left the headline out between byline and dek
            _BYLINE_HEADLINE_DEK,
            "Politik · Jochen Bittner Zum Beispiel die Kollektivierung von Firmen wie",
            "Zum Beispiel die Kollektivierung von Firmen wie",
            id="split-by-a-left-out-headline",
        ),
        pytest.param(_BYLINE_HEADLINE_DEK, "Nowhere on this page at all", None, id="absent"),
    ],
)
def test_a_label_gives_the_page_text_of_the_last_non_caption_block_it_reaches(
    body: str, label: str, snippet: str | None
) -> None:
    assert label_snippet(label, page_blocks(f"<html><body>{body}</body></html>")) == snippet


_GOOSE_PAGE = (
    "".join(
        f"<p>Paragraph {n} of the story tells what happened on day {n} in the valley.</p>"
        for n in range(1, 6)
    )
    + "<figure><figcaption>The valley at dawn, seen from the northern ridge</figcaption></figure>"
)


@pytest.mark.parametrize(
    ("label", "snippets"),
    [
        pytest.param(  # goose's text stops mid-paragraph: the page's text as far as it goes
            "Paragraph 1 of the story tells what",
            ["Paragraph 1 of the story tells what"],
            id="one-paragraph",
        ),
        pytest.param(
            "\n\n".join(
                f"Paragraph {n} of the story tells what happened on day {n} in the valley."
                for n in range(1, 6)
            ),
            [
                "Paragraph 1 of the story tells what happened on day 1 in the valley.",
                "Paragraph 3 of the story tells what happened on day 3 in the valley.",
                "Paragraph 5 of the story tells what happened on day 5 in the valley.",
            ],
            id="first-middle-last",
        ),
        pytest.param(  # a caption line gives none, so the last is the paragraph before it
            "Paragraph 4 of the story tells what happened on day 4 in the valley.\n\n"
            "The valley at dawn, seen from the northern ridge\n\nNot on this page at all",
            ["Paragraph 4 of the story tells what happened on day 4 in the valley."],
            id="caption-and-absent-lines",
        ),
        pytest.param("Nowhere on this page at all", [], id="absent"),
    ],
)
def test_a_goose3_label_gives_the_snippets_of_its_first_middle_and_last_paragraph(
    label: str, snippets: list[str]
) -> None:
    assert goose3_snippets(label, page_blocks(f"<html><body>{_GOOSE_PAGE}</body></html>")) == (
        snippets
    )


def test_a_long_goose3_paragraph_gives_its_first_snippet_chars() -> None:
    paragraph = " ".join(["word"] * 40)
    blocks = page_blocks(f"<html><body><p>{paragraph}</p></body></html>")
    assert goose3_snippets(paragraph, blocks) == [" ".join(["word"] * 14)]  # 69 characters


def test_a_snippet_only_page_counts_in_the_snippets_not_in_the_bag_of_words() -> None:
    url = "https://x.example/"
    gold = RealPage("g", "src", url, b"", "alpha beta gamma", ("alpha",), (), None)
    labelled = RealPage("l", "src", url, b"", "", ("delta epsilon",), (), None)
    scored = RealScore()
    scored.add(gold, "alpha beta gamma")
    scored.add(labelled, "zeta")
    figures = scored.figures()
    assert (scored.pages, figures["f1"], figures["recall"]) == (2, 1.0, 1.0)
    assert figures["must_contain"] == 0.5
    assert math.isnan(figures["must_not_contain"])


@pytest.mark.parametrize(
    ("source", "least"),
    [("postlight/parser", 100), ("goose3/goose3", 30), ("karussell/snacktory", 50)],
)
def test_every_labelled_page_holds_its_snippets_and_has_no_gold_body(
    source: str, least: int
) -> None:
    pages = [p for split in SPLITS for p in load_split(split) if p.source == source]
    assert len(pages) > least
    for page in pages:
        assert page.must_contain, page.id
        assert (page.gold, page.must_not_contain) == ("", ()), page.id
        text = " ".join(t for t, _ in page_blocks(decode_html(page.body) or ""))
        assert all(normal(s) in text for s in page.must_contain), page.id


#: The shape of snacktory's tests (``ArticleTextExtractorTest.java``): a page per test, its URL
#: in a comment, assertions on the text, some commented out.
_SNACKTORY_TEST = """
    @Test
    public void testSome() throws Exception {
        //String url = "http://www.example.com/2010/08/story.html";
        JResult article = extractor.extractContent(
            c.streamToString(getClass().getResourceAsStream("example.html")));
//        assertTrue(article.getText(), article.getText().startsWith("An older lead"));
//        assertEquals("http://www.example.com/image.jpg", article.getImageUrl());
        assertTrue(article.getText(), article.getText().startsWith("The \\"new\\" lead "
                + "of the story"));
        assertTrue(article.getText().endsWith("the last words."));
    }

    @Test
    public void testData1() throws Exception {
        // ? http://blog.example.org/post (html5)
        JResult res = extractor.extractContent(readFileAsString("test_data/1.html"));
        assertEquals("Only a title", res.getTitle());
    }

    @Test
    public void testData1Text() throws Exception {
        JResult res = extractor.extractContent(readFileAsString("test_data/1.html"));
        assertEquals("All of the text", res.getText());
    }
"""


def test_a_snacktory_test_gives_its_page_url_and_live_text_labels() -> None:
    assert snacktory_labels(_SNACKTORY_TEST) == [
        (
            "src/test/resources/de/jetwick/snacktory/example.html",
            "http://www.example.com/2010/08/story.html",
            ['The "new" lead of the story', "the last words."],
        ),
        ("test_data/1.html", "http://blog.example.org/post", ["All of the text"]),
    ]
