"""BM25 in Python gives FTS5's own `bm25()` figures (the PostgreSQL ranking relies on it)."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from dispatcher.domain import bm25
from dispatcher.domain.search_text import fts5_match, index_terms, parse_query

ARTICLES = [
    ("Printer offline", "The printer shows offline: restart the printer and the print spooler."),
    ("VPN token", "Reset the token in the portal, then print the recovery codes."),
    ("Принтер не печатает", "Переустановите драйвер принтера и перезапустите очередь."),
    ("Toner low", "Replace the toner cartridge; printing resumes by itself."),
    ("Office hours", "Open on weekdays from nine to six."),
]


@pytest.mark.parametrize(
    ("query", "typing"),
    [
        ("printer offline", False),
        ("print token", False),
        ("принтеры печать", False),
        ("toner prin", True),
        ("office", False),
    ],
)
def test_scores_equal_fts5_bm25(query: str, typing: bool) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t, b)")
    docs = [(index_terms(t).split(), index_terms(b).split()) for t, b in ARTICLES]
    for n, (t, b) in enumerate(docs, start=1):
        conn.execute("INSERT INTO f(rowid, t, b) VALUES (?, ?, ?)", (n, " ".join(t), " ".join(b)))
    parsed = parse_query(query, typing=typing)
    expected = dict(
        conn.execute(
            "SELECT rowid, -bm25(f, 3.0, 1.0) FROM f WHERE f MATCH ?", (fts5_match(parsed),)
        ).fetchall()
    )
    holding: Counter[str] = Counter()
    for t, b in docs:
        holding.update(set(t) | set(b))
    stats = bm25.IndexStats(
        articles=len(docs),
        average_length=sum(len(t) + len(b) for t, b in docs) / len(docs),
        term_articles=holding,
        prefix_articles={
            p: sum(any(w.startswith(p) for w in t + b) for t, b in docs) for p in parsed.prefixes
        },
    )
    assert expected
    for n, (t, b) in enumerate(docs, start=1):
        got = bm25.score(t, b, parsed, stats, title_weight=3.0)
        assert got == pytest.approx(expected.get(n, 0.0), rel=1e-9, abs=1e-9), (n, query)
