"""BM25 as SQLite's FTS5 computes it, for a backend that has no `bm25()` (PostgreSQL).

FTS5's `bm25()` with per-column weights: for each phrase of the query (a term, a prefix,
a short stem standing in for a word being typed),

    IDF * f * (k1 + 1) / (f + k1 * (1 - b + b * length / average length))

summed, where f is the phrase's hits in the title times the title weight plus its hits in
the body, length is the article's terms in both columns, and IDF is
log((N - n + 0.5) / (n + 0.5)) for n articles out of N holding it (at least 1e-6, so a word
in most articles still counts a little, as in FTS5). Scores are positive (FTS5's are the
same numbers negated), higher is better.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dispatcher.domain.search_text import Query

K1 = 1.2  # FTS5's constants
B = 0.75
MIN_IDF = 1e-6


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What BM25 needs to know about the whole index."""

    articles: int
    average_length: float
    term_articles: Mapping[str, int]  # articles holding each term of the query
    prefix_articles: Mapping[str, int]  # articles holding a term with each prefix


def idf(articles: int, holding: int) -> float:
    value = math.log((articles - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else MIN_IDF


def score(
    title: Sequence[str],
    body: Sequence[str],
    query: Query,
    stats: IndexStats,
    *,
    title_weight: float,
) -> float:
    """The article's BM25 score for the query (its title and body as lists of terms)."""
    length = len(title) + len(body)
    average = stats.average_length or 1.0
    norm = K1 * (1 - B + B * length / average)
    total = 0.0
    exact = [*query.terms, *query.exact_alternatives]
    for term in dict.fromkeys(exact):
        f = title_weight * title.count(term) + body.count(term)
        if f:
            n = stats.term_articles.get(term, 0)
            total += idf(stats.articles, n) * f * (K1 + 1) / (f + norm)
    for prefix in query.prefixes:
        f = title_weight * sum(t.startswith(prefix) for t in title) + sum(
            t.startswith(prefix) for t in body
        )
        if f:
            n = stats.prefix_articles.get(prefix, 0)
            total += idf(stats.articles, n) * f * (K1 + 1) / (f + norm)
    return total
