"""Words for full-text search: tokens, folding, stop words, English and Russian stems.

The index never sees raw text: titles and bodies are turned into a line of stems
(`index_terms`), and a query into the same stems (`parse_query`). Both backends index
those stems with a plain tokenizer, so "принтера" finds "принтер" and "printing" finds
"printed" on SQLite and PostgreSQL alike.

Folding: lower case, `ё` → `е`, diacritics of Latin letters removed (`café` → `cafe`);
Cyrillic letters keep theirs (`й` is a letter of its own). A word with a Cyrillic letter
is stemmed as Russian, any other word of letters as English; words with digits (error
codes, versions, numbers) are kept as they are.

Hyphenated words ("Wi-Fi", "e-mail", "IP-адрес") are their parts and, one more term, the
parts written together: "wifi" finds "Wi-Fi", "ip адрес" still finds "IP-адрес". A query
joins them only where a part is no term of its own (`_query_words`).

Search as you type: the last word of a query still being typed is a prefix, so it matches
the stems of every word it may grow into (`parse_query(..., typing=True)`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

MAX_TERM = 64  # longer "words" (hashes, base64) are cut to this many characters
MAX_QUERY_TERMS = 24  # a pasted paragraph is searched by its first this-many distinct words
MIN_PREFIX = 3  # a word being typed becomes a prefix once it has this many letters
MIN_CORRECTED = 4  # a term that matches nothing is spelled again from this many letters
MAX_CORRECTED = 32  # ... up to this many: longer "words" are codes, hashes, pasted junk

_WORD = re.compile(r"[^\W_]+")
# Words joined by hyphens ("e-mail", "wi-fi", "read-only", "VPN-клиент"): each part is a
# word, and the parts written together are one more ("email"), so either spelling finds
# the other.
_HYPHENS = re.compile("[-\u2010\u2011]")
_COMPOUND = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)+")
_CYRILLIC = re.compile(r"[а-яё]")
_DIGIT = re.compile(r"\d")
# The characters `fold` may change: neither ASCII nor basic Cyrillic (which stays whole).
_FOLDABLE = re.compile(r"[^\x00-\x7f\u0400-\u04ff]")

_LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CYRILLIC_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"

_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")

# The Snowball project's stop-word lists (English and Russian), folded (ё → е).
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's
    i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's which while who who's whom why why's with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    s t d ll m o re ve y don isn aren wasn weren hasn haven hadn doesn didn won wouldn
    shouldn couldn mustn shan
    """.split()
)
RUSSIAN_STOP_WORDS = frozenset(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
    тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
    сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше
    тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой
    перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
    """.split()
)
STOP_WORDS = ENGLISH_STOP_WORDS | RUSSIAN_STOP_WORDS


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a text: where it is (for highlighting) and its search term."""

    start: int
    end: int
    term: str | None  # None for a stop word


@dataclass(frozen=True, slots=True)
class Query:
    """A query as stems: whole words, and the forms of a word still being typed."""

    terms: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()  # the typed word matches any term starting with these
    exact_alternatives: tuple[str, ...] = ()  # ... or these short stems of it, exactly
    # How the query wrote each term (folded), and the word being typed: a typo is respelled
    # from the word, not from its stem ("directoy" is one mistake from "directory", whose
    # stem "directori" is two from "directoy"). Not part of what the query matches.
    spellings: tuple[str, ...] = field(default=(), compare=False)
    typed: str = field(default="", compare=False)

    @property
    def empty(self) -> bool:
        return not (self.terms or self.prefixes)


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # (start, end) offsets into `text`


def fold(text: str) -> str:
    """Lower case, ё → е, Latin diacritics removed; Cyrillic letters are left whole."""
    text = text.lower().replace("ё", "е")
    if text.isascii():
        return text
    return _FOLDABLE.sub(_fold_match, text)


def _fold_match(match: re.Match[str]) -> str:
    return _fold_char(match.group())


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char.isascii() or not char.isalpha() or "CYRILLIC" in unicodedata.name(char, ""):
        return char
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base or char


@lru_cache(maxsize=200_000)
def term_of(word: str) -> str | None:
    """The search term of one folded word, or None for a stop word or a lone letter."""
    if word in STOP_WORDS:
        return None
    if _DIGIT.search(word):
        return word[:MAX_TERM]
    if len(word) < 2:
        return None
    stemmer = _RUSSIAN if _CYRILLIC.search(word) else _ENGLISH
    return str(stemmer.stemWord(word))[:MAX_TERM]


def words(text: str) -> Iterator[Word]:
    """Every word of the text with its offsets; folding keeps offsets (one char per char).
    A hyphenated compound comes after its last part, as its parts joined."""
    for start, end, word in _spans(_folded_in_place(text)):
        yield Word(start, end, term_of(word))


def _spans(folded: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of each word of a folded text, and of each hyphenated compound
    (after its last part, its parts joined: "wi-fi" gives "wi", "fi", then "wifi")."""
    if not _HYPHENS.search(folded):
        for match in _WORD.finditer(folded):
            yield match.start(), match.end(), match.group()
        return
    compounds = {m.end(): m for m in _COMPOUND.finditer(folded)}
    for match in _WORD.finditer(folded):
        yield match.start(), match.end(), match.group()
        compound = compounds.get(match.end())
        if compound is not None:
            yield compound.start(), compound.end(), "".join(_WORD.findall(compound.group()))


def _folded_in_place(text: str) -> str:
    """The folded text, one character for each of the text's (offsets stay valid)."""
    folded = fold(text)
    if len(folded) != len(text):  # a letter that folds to two (rare): offsets from the text
        folded = "".join(fold(c)[:1] or c for c in text)
    return folded


def terms(text: str) -> list[str]:
    """The search terms of a text, in order, stop words left out."""
    return [w.term for w in words(text) if w.term is not None]


def index_terms(text: str) -> str:
    """The line the index stores for a text: its terms separated by spaces."""
    return " ".join(terms(text))


def parse_query(text: str, *, typing: bool = False) -> Query:
    """A query's distinct terms; with `typing`, an unfinished last word becomes a prefix."""
    found = _query_words(text)
    last: Word | None = None
    if typing and found and found[-1].end == len(text):
        last = found.pop()
        if found and found[-1].end == last.end:  # a compound still being typed: its last
            last = found.pop()  # part is the word being typed
    seen: dict[str, str] = {}  # term: the word it was first written as
    for word in found:
        if word.term is not None and word.term not in seen and len(seen) < MAX_QUERY_TERMS:
            seen[word.term] = fold(text[word.start : word.end])
    if last is None:
        return Query(terms=tuple(seen), spellings=tuple(seen.values()))
    raw = fold(text[last.start : last.end])
    if len(raw) < MIN_PREFIX:
        if last.term is not None and last.term not in seen:
            seen[last.term] = raw
        return Query(terms=tuple(seen), spellings=tuple(seen.values()))
    # The typed letters may already be past the stem of the word they grow into
    # ("printin" → "print"): the stems of shorter forms count too, exactly.
    stem = term_of(raw) or raw
    prefixes = _unique([raw, stem] if not raw.startswith(stem) else [stem])
    shorter = [raw[:n] for n in range(max(MIN_PREFIX + 1, len(raw) - 2), len(raw))]
    exact = tuple(s for s in _unique(shorter) if not any(s.startswith(p) for p in prefixes))
    return Query(
        terms=tuple(seen),
        prefixes=prefixes,
        exact_alternatives=exact,
        spellings=tuple(seen.values()),
        typed=raw,
    )


def _query_words(text: str) -> list[Word]:
    """The words of a query, a hyphenated one as its parts, and joined as well only where a
    part is no term of its own ("e-mail": "mail" and "email"; "wi-fi": "wi" and "fi").

    Texts are indexed with the joined forms, so "wifi" typed finds "Wi-Fi" written. A query's
    joined form of parts that are terms anyway is a rarer term than its parts, and it
    weighed the articles that hyphenate the same way above the ones that answer: it lost
    on the evaluation's tuning part (MRR -0.004 in English) and its held-out part.
    """
    found: list[Word] = []
    for word in words(text):
        if _HYPHENS.search(text, word.start, word.end):
            if all(part.term is not None for part in _parts(found, word.start)):
                continue
        found.append(word)
    return found


def _parts(found: list[Word], start: int) -> Iterator[Word]:
    """The parts of the compound starting at `start`: the words just before it (a compound
    comes after its last part), read back from the end."""
    for word in reversed(found):
        if word.start < start:
            return
        yield word


def respelled(term: str) -> list[str]:
    """The terms one typing mistake away (a letter dropped, added, changed, two swapped).

    Typo tolerance: a query term the knowledge base does not hold is looked up again as
    each of these, and the one in the most articles stands in for it. Terms with digits
    (codes), short ones (too many neighbours to choose from) and long ones (no word: a
    pasted hash would have hundreds of thousands) have none.
    """
    too_long_or_short = not MIN_CORRECTED <= len(term) <= MAX_CORRECTED
    if too_long_or_short or _DIGIT.search(term) or not term.isalpha():
        return []
    letters = _CYRILLIC_LETTERS if _CYRILLIC.search(term) else _LATIN_LETTERS
    if not all(c in letters for c in term):
        return []
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    found = [a + b[1:] for a, b in splits if b]
    found += [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1 and b[0] != b[1]]
    found += [a + c + b[1:] for a, b in splits if b for c in letters if c != b[0]]
    found += [a + c + b for a, b in splits for c in letters]
    return [t for t in _unique(found) if len(t) >= MIN_CORRECTED - 1 and t != term]


def respellings(word: str) -> dict[str, str]:
    """The terms of the words one typing mistake away from a folded word, each with the
    first such word: what a mistyped word may have meant ("directoy": "directori", the
    term of "directory")."""
    own = term_of(word)
    found: dict[str, str] = {}
    for other in respelled(word):
        term = term_of(other)
        if term is not None and term != own and len(term) >= MIN_CORRECTED - 1:
            found.setdefault(term, other)
    return found


def respelled_text(respelled: Iterable[tuple[str, str]]) -> str:
    """The words a search respelled, as a line says them: "directoy → directory"."""
    return ", ".join(f"{typed} → {meant}" for typed, meant in respelled)


def with_terms(query: Query, replaced: dict[str, str]) -> Query:
    """The query with some of its terms replaced (by their respelling)."""
    kept: dict[str, str] = {}
    for term, spelling in zip(query.terms, query.spellings or query.terms, strict=False):
        kept.setdefault(replaced.get(term, term), spelling)
    return Query(
        terms=tuple(kept),
        prefixes=query.prefixes,
        exact_alternatives=query.exact_alternatives,
        spellings=tuple(kept.values()),
        typed=query.typed,
    )


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH expression: any of the terms (BM25 ranks documents with more first)."""
    parts = [f'"{t}"' for t in query.terms]
    parts += [f'"{p}"*' for p in query.prefixes]
    parts += [f'"{e}"' for e in query.exact_alternatives]
    return " OR ".join(parts)


def tsquery(query: Query) -> str:
    """The PostgreSQL `to_tsquery('simple', ...)` text for the same query."""
    parts = [_ts_quote(t) for t in query.terms]
    parts += [f"{_ts_quote(p)}:*" for p in query.prefixes]
    parts += [_ts_quote(e) for e in query.exact_alternatives]
    return " | ".join(parts)


def matches(query: Query, term: str) -> bool:
    return (
        term in query.terms
        or term in query.exact_alternatives
        or any(term.startswith(p) for p in query.prefixes)
    )


def snippet(text: str, query: Query, *, width: int = 160) -> Snippet:
    """About `width` characters of the text around the densest run of matching words."""
    text = " ".join(text.split())  # one line: newlines and Markdown indentation collapse
    hits = matching_spans(text, query)
    if not hits:
        cut = _cut(text, 0, width)
        return Snippet(cut[0], ())
    best_start, best_count = hits[0][0], 0
    right = 0
    for left, (start, _) in enumerate(hits):
        right = max(right, left)
        while right + 1 < len(hits) and hits[right + 1][1] - start <= width:
            right += 1
        if right - left + 1 > best_count:
            best_start, best_count = start, right - left + 1
    begin = 0 if len(text) <= width else max(0, best_start - width // 4)
    if begin:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else begin
    piece, offset = _cut(text, begin, width)
    spans = tuple(
        (s - begin + offset, e - begin + offset)
        for s, e in hits
        if s >= begin and e - begin + offset <= len(piece)
    )
    return Snippet(piece, spans)


def matching_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the text's words that match the query are (`words` filtered by `matches`), in
    order and apart: a matching compound covers its parts."""
    matching = _matching(query)
    first = matching.first_letters
    folded = _folded_in_place(text)
    if not _HYPHENS.search(folded):  # the common case, and a snippet's hot path
        return [
            m.span()
            for m in _WORD.finditer(folded)
            if (word := m.group())[0] in first and matching[word]
        ]
    spans: list[tuple[int, int]] = []
    for start, end, word in _spans(folded):
        if word[0] in first and matching[word]:
            while spans and spans[-1][0] >= start:  # parts of this compound
                spans.pop()
            spans.append((start, end))
    return spans


class _Matching(dict[str, bool]):
    """Whether each folded word's term matches the query, each word worked out once: the
    snippets of one result list look at the same words again and again.

    A term starts with its word's first letter (a stem is the word, shortened or its ending
    changed; a code is the word itself), so a word whose first letter starts none of the
    query's terms is passed over without working out its term (`first_letters`): most words
    of an article, at a small cost per word.
    """

    def __init__(self, query: Query) -> None:
        super().__init__()
        self._exact = frozenset((*query.terms, *query.exact_alternatives))
        self._prefixes = query.prefixes
        self.first_letters = frozenset(t[0] for t in (*self._exact, *self._prefixes) if t)

    def __missing__(self, word: str) -> bool:
        term = term_of(word)
        found = term is not None and (term in self._exact or term.startswith(self._prefixes))
        self[word] = found
        return found


@lru_cache(maxsize=16)
def _matching(query: Query) -> _Matching:
    return _Matching(query)


def _cut(text: str, begin: int, width: int) -> tuple[str, int]:
    """text[begin:] cut at a word boundary near `width`, with … marks; and the shift."""
    end = begin + width
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin else end
    piece = text[begin:end]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + piece + suffix, len(prefix)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(value for value in dict.fromkeys(values) if value)


def _ts_quote(term: str) -> str:
    return "'" + term.replace("'", "") + "'"
