"""Search words: folding, stop words, English and Russian stems, prefixes, snippets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.search_text import (
    Query,
    fold,
    fts5_match,
    index_terms,
    matches,
    matching_spans,
    parse_query,
    respelled,
    respellings,
    snippet,
    terms,
    tsquery,
    with_terms,
    words,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("принтер", "принтера"),
        ("принтеры", "принтером"),
        ("пароль", "паролей"),
        ("printing", "printed"),
        ("passwords", "password"),
        ("ёлка", "елки"),
        ("Café", "cafe"),
    ],
)
def test_word_forms_share_a_term(a: str, b: str) -> None:
    assert terms(a) == terms(b)
    assert terms(a) != []


def test_different_words_do_not() -> None:
    assert terms("printer") != terms("print")  # Porter2 keeps the agent noun
    assert terms("принтер") != terms("пароль")


def test_folding_keeps_cyrillic_letters_whole() -> None:
    assert fold("Ёжик ЙОД") == "ежик йод"
    assert fold("naïve Ångström") == "naive angstrom"


def test_stop_words_and_lone_letters_are_left_out() -> None:
    assert terms("The printer is not in the list") == ["printer", "list"]
    assert terms("Принтер не в списке и не работает") == ["принтер", "списк", "работа"]
    assert terms("a b c") == []


def test_codes_and_numbers_are_kept_as_written() -> None:
    assert terms("Error 0x80070005 on v2 port 8080") == [
        "error",
        "0x80070005",
        "v2",
        "port",
        "8080",
    ]


def test_markup_and_punctuation_are_only_separators() -> None:
    assert index_terms("[b]VPN[/b] — *token*_reset\x1b[31m") == "vpn token reset 31m"


def test_words_keep_their_offsets_in_the_original() -> None:
    text = "Ёлка и ПРИНТЕР"
    found = [(text[w.start : w.end], w.term) for w in words(text)]
    assert found == [("Ёлка", "елк"), ("и", None), ("ПРИНТЕР", "принтер")]


def test_query_terms_are_distinct_and_typing_makes_the_last_word_a_prefix() -> None:
    assert parse_query("printer printers PRINTER") == Query(terms=("printer",))
    typed = parse_query("vpn tok", typing=True)
    assert typed.terms == ("vpn",)
    assert typed.prefixes == ("tok",)
    # A finished word (followed by a space) is a whole word even while typing.
    assert parse_query("vpn tok ", typing=True) == Query(terms=("vpn", "tok"))


def test_a_typed_word_past_its_stem_still_matches_the_stem() -> None:
    q = parse_query("printin", typing=True)
    # "printing" is indexed as "print": the stem of a shorter form must match exactly.
    assert "print" in q.exact_alternatives or any("print".startswith(p) for p in q.prefixes)
    assert fts5_match(q).count("*") == len(q.prefixes)


def test_short_typed_words_are_not_prefixes() -> None:
    assert parse_query("vpn to", typing=True) == Query(terms=("vpn",))
    assert parse_query("vpn ab", typing=True) == Query(terms=("vpn", "ab"))


def test_only_stop_words_make_an_empty_query() -> None:
    assert parse_query("the and of").empty
    assert parse_query("   ").empty


def test_match_expressions_quote_every_term() -> None:
    q = parse_query('vpn "token" OR NOT print', typing=True)
    assert fts5_match(q) == '"vpn" OR "token" OR "print"* OR "prin"'
    assert tsquery(q) == "'vpn' | 'token' | 'print':* | 'prin'"


def test_snippet_centres_on_matches_and_marks_them() -> None:
    body = ("Filler words here. " * 30) + "Reset the VPN token from the portal. " + "More. " * 30
    cut = snippet(body, parse_query("vpn tokens"), width=80)
    assert len(cut.text) <= 82
    marked = [cut.text[s:e] for s, e in cut.highlights]
    assert marked == ["VPN", "token"]
    assert cut.text.startswith("…")
    assert cut.text.endswith("…")


def test_snippet_of_a_short_text_is_the_whole_text() -> None:
    cut = snippet(
        "Принтер не печатает:\n\nпереустановите драйвер принтера.", parse_query("принтеры")
    )
    assert cut.text == "Принтер не печатает: переустановите драйвер принтера."
    assert [cut.text[s:e] for s, e in cut.highlights] == ["Принтер", "принтера"]


def test_snippet_without_a_match_is_the_start() -> None:
    cut = snippet("word " * 100, parse_query("absent"), width=40)
    assert cut.highlights == ()
    assert cut.text.startswith("word word")


def test_respellings_are_one_typing_mistake_away() -> None:
    options = respelled(terms("acccount")[0])
    assert "account" in options  # a doubled letter dropped
    assert "accuont" in respelled("accunot") or "accunto" in respelled("accunot")
    assert "принтер" in respelled("принетр")  # two letters swapped
    assert "принтер" in respelled("принер")  # a letter added back
    assert "прантер" in respelled("принтер")  # a letter changed, in the word's alphabet
    assert all(t.isascii() for t in respelled("account"))
    assert "account" not in respelled("account")


def test_a_word_is_respelled_into_the_terms_of_the_words_it_may_have_meant() -> None:
    meant = respellings("directoy")
    assert meant[terms("directory")[0]] == "directory"  # two mistakes from its term
    assert terms("directoy")[0] not in meant
    assert respellings("принетра")[terms("принтера")[0]] == "принтера"
    assert respellings("0x80070005") == {}


def test_a_query_keeps_how_each_term_was_written() -> None:
    query = parse_query("Directoy ENTRIES entry", typing=False)
    assert query.terms == ("directoy", "entri")
    assert query.spellings == ("directoy", "entries")
    typed = parse_query("read directo", typing=True)
    assert (typed.spellings, typed.typed) == (("read",), "directo")
    assert with_terms(query, {"directoy": "directori"}).spellings == ("directoy", "entries")


def test_a_hyphenated_word_is_also_its_parts_written_together() -> None:
    assert terms("Wi-Fi drops") == ["wi", "fi", "wifi", "drop"]
    assert terms("не работает VPN-клиент")[-1] == terms("vpnклиент")[0]
    assert parse_query("e-mail").terms == ("mail", "email")  # "e" alone is no term
    assert parse_query("email").terms[0] in terms("e-mail")
    # Typed to its end, a compound is still being typed: its last part is the prefix.
    typing = parse_query("wi-f", typing=True)
    assert (typing.terms, typing.prefixes) == (("wi",), ())
    # A query joins the parts only where one is no term: the articles' joined forms
    # still answer "wifi", and "wi-fi" is searched as its parts.
    assert parse_query("wi-fi ", typing=True).terms == ("wi", "fi")
    assert parse_query("Wi-Fi drops").terms == ("wi", "fi", "drop")
    assert parse_query("x-ray").terms == ("ray", "xray")


def test_a_compound_is_highlighted_whole_and_its_parts_alone() -> None:
    cut = snippet("Forget the Wi-Fi network, then join the wifi again.", parse_query("wifi"))
    assert [cut.text[s:e] for s, e in cut.highlights] == ["Wi-Fi", "wifi"]
    part = snippet("Forget the Wi-Fi network.", parse_query("fi network"))
    assert [part.text[s:e] for s, e in part.highlights] == ["Fi", "network"]
    assert matching_spans("Read-only file", parse_query("readonly")) == [(0, 9)]


def test_codes_short_long_and_mixed_terms_have_no_respelling() -> None:
    assert respelled("0x80070005") == []
    assert respelled("vpn") == []
    assert respelled("wifiсеть") == []
    # A pasted run of letters is no word: 5,000 letters would have 300,000 neighbours.
    assert respelled("x" * 5000) == []
    assert respelled("x" * 33) == []
    assert respellings("q" * 5000) == {}
    assert respelled("x" * 32)  # the longest a word is looked up again
    query = parse_query("x" * 5000 + " принетр")
    assert len(query.terms[0]) == 64  # a term is cut to its first 64 letters


def test_a_text_of_many_compounds_keeps_each_compounds_own_parts() -> None:
    text = " ".join(["wi-fi", "e-mail"] * 2000)
    query = parse_query(text)
    # Each compound's parts are the words just before it: "e-mail" is joined ("e" is no
    # term), "wi-fi" is not, however many came before.
    assert query.terms == ("wi", "fi", "mail", "email")


def test_with_terms_replaces_and_keeps_terms_distinct() -> None:
    query = parse_query("acccount account locked")
    assert with_terms(query, {"acccount": "account"}).terms == ("account", "lock")


# The exceptions of the English Snowball stemmer (irregular forms), and words whose stem
# changes their ending: each term still starts with its word's first letter, which the
# highlighting relies on to pass over the other words.
@pytest.mark.parametrize(
    "word",
    [
        "dying",
        "lying",
        "tying",
        "skies",
        "idly",
        "gently",
        "ugly",
        "early",
        "ugliest",
        "singly",
        "news",
        "yelling",
        "ёжики",
        "объявления",
        "0x80070005",
        "v2",
    ],
)
def test_a_term_starts_with_its_words_first_letter(word: str) -> None:
    term = terms(word)[0]
    assert term[0] == fold(word)[0]


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя", min_size=2))
def test_any_words_term_starts_with_its_first_letter(word: str) -> None:
    found = terms(word)
    assert not found or found[0][0] == fold(word)[0]


_WORDS = [
    "dying",
    "die",
    "wi",
    "fi",
    "Wi-Fi",
    "read-only",
    "принтера",
    "принтер",
    "Ёлка",
    "printing",
    "print",
    "x",
    "v2",
    "skies",
    "sky",
]


@given(
    st.lists(st.sampled_from(_WORDS), max_size=12),
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
    st.booleans(),
)
def test_highlights_are_the_words_whose_terms_match(
    text_words: list[str], query_words: list[str], typing: bool
) -> None:
    text = " ".join(text_words)
    query = parse_query(" ".join(query_words), typing=typing)
    expected = [(w.start, w.end) for w in words(text) if w.term and matches(query, w.term)]
    spans = matching_spans(text, query)
    # Each match is found, a compound covering its parts where both match.
    assert all(any(s <= a and b <= e for s, e in spans) for a, b in expected)
    assert all(any(a == s and b == e for a, b in expected) for s, e in spans)
