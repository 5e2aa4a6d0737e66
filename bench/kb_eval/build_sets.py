"""Build the help-page evaluation sets (`man_en.json`, `man_ru.json`) from Debian packages.

    python bench/kb_eval/build_sets.py            # apt-get download + extract, then build
    python bench/kb_eval/build_sets.py --root DIR # pages already extracted under DIR

Source: Debian bookworm's `manpages` and `manpages-dev` (the Linux man-pages project, in
English) and `manpages-ru` and `manpages-ru-dev` (their Russian translations, from the
manpages-l10n project). Only pages present in both languages are used, so the two sets hold
the same pages: each page is one article (title: the names it documents; body: its
DESCRIPTION, cut near `BODY_CHARS`), and its own words are the queries:

- `summary`: the NAME line's summary ("list directory contents"), which the article lacks;
- `sentence`: the first sentence of the DESCRIPTION with six words or more, taken out of the
  article and with the page's own names removed (a user does not know them);
- `short`: the summary's first three content words, as typed into a search box;
- `typo`: the same with one typing mistake in its longest word (a letter dropped, two
  swapped or one doubled, chosen by a hash of the word).

Every choice is made by rule or by a fixed hash, never by looking at a ranking: which pages
are articles, which articles get queries, and the tuning / held-out split (by page, so all
the queries of one article fall in the same part).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PACKAGES = ("manpages", "manpages-dev", "manpages-ru", "manpages-ru-dev")
SECTIONS = ("2", "3", "4", "5", "7", "8")
BODY_CHARS = 1500
ARTICLES = 700  # per language: pages that are articles (the rest of the pool is left out)
QUERIED = 220  # of those, articles that get queries
TUNING_SHARE = 4  # in ten: pages whose hash falls below go to the tuning part

NAME_HEADERS = {"NAME", "ИМЯ", "НАЗВАНИЕ"}
DESCRIPTION_HEADERS = {"DESCRIPTION", "ОПИСАНИЕ"}

STOP = {
    "en": set(
        "a an the of to for and or in on at by from with into is are be as that this its it "
        "which all any some their one two or".split()
    ),
    "ru": set(
        "и в во на с со по для из к о об от или а но что как при это его её их все не до за".split()
    ),
}

_NAMED = {
    "em": "—",
    "en": "–",
    "aq": "'",
    "dq": '"',
    "lq": "“",
    "rq": "”",
    "Fo": "«",
    "Fc": "»",
    "bu": "•",
    "co": "©",
    "rg": "®",
    "ti": "~",
    "ha": "^",
    "mi": "-",
    "hy": "-",
    "lh": "",
    "rh": "",
    "<=": "≤",
    ">=": "≥",
    "mu": "×",
    "->": "→",
    "cq": "'",
    "oq": "'",
}


def _escape(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith("\\(") or token.startswith("\\["):
        name = token[2:-1] if token.startswith("\\[") else token[2:]
        return _NAMED.get(name, "")
    if token.startswith("\\*"):
        name = token[2:].strip("([]")
        return {"lq": "“", "rq": "”", "R": "®", "Tm": "™"}.get(name, "")
    return {"\\-": "-", "\\e": "\\", "\\~": " ", "\\ ": " ", "\\0": " ", "\\(": ""}.get(token, "")


_ESCAPES = re.compile(
    r"\\\((..)|\\\[[^\]]*\]|\\\*\(..|\\\*\[[^\]]*\]|\\\*.|\\f\(..|\\f\[[^\]]*\]|\\f.|"
    r"\\s[-+]?\d+|\\[-e~ 0&%c|^/,:!]|\\."
)


def inline(text: str) -> str:
    """A roff text line as plain text: fonts dropped, named characters spelled out."""
    text = _ESCAPES.sub(lambda m: _escape(m), text)
    return text.replace("\t", " ")


_ALTERNATING = {"BR", "RB", "IR", "RI", "BI", "IB"}


def _args(rest: str) -> list[str]:
    return [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', rest)]


def parse_page(source: str) -> dict[str, str] | None:
    """{section header: plain text} of a man page, or None for a `.so` redirect."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_table = False
    for raw in source.splitlines():
        line = raw.rstrip()
        if line.startswith(".so "):
            return None
        if line.startswith(('.\\"', "'\\\"", '\\"')):
            continue
        if line.startswith((".", "'")):
            macro, _, rest = line[1:].strip().partition(" ")
            if macro == "TS":
                in_table = True
                continue
            if macro == "TE":
                in_table = False
                continue
            if macro == "SH":
                header = inline(" ".join(_args(rest))).strip().upper()
                current = sections.setdefault(header, [])
                continue
            if current is None:
                continue
            if macro in {"B", "I", "SM", "SB", "SS"}:
                current.append(inline(" ".join(_args(rest))))
            elif macro in _ALTERNATING:
                current.append(inline("".join(_args(rest))))
            elif macro in {"IP", "TP", "PP", "P", "LP", "br", "sp", "RS", "RE", "nf", "fi"}:
                if macro == "IP" and rest:
                    current.append("\n" + inline(_args(rest)[0]))
                else:
                    current.append("\n")
            continue
        if current is None:
            continue
        if in_table and ("\t" not in line and line.endswith(".")):
            continue
        current.append(inline(line))
    return {k: _tidy(" ".join(v)) for k, v in sections.items()}


def _tidy(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


@dataclass
class Page:
    key: str  # "2/open"
    names: list[str]
    summary: str
    description: str


def read_page(path: Path) -> Page | None:
    source = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
    sections = parse_page(source)
    if sections is None:
        return None
    name = next((v for k, v in sections.items() if k in NAME_HEADERS), "")
    description = next((v for k, v in sections.items() if k in DESCRIPTION_HEADERS), "")
    names_part, dash, summary = name.partition(" - ")
    if not dash:
        names_part, dash, summary = name.partition(" — ")
    summary = " ".join(summary.split()).rstrip(".")
    names = [n.strip() for n in names_part.split(",") if n.strip()]
    if not dash or len(summary.split()) < 2 or len(description) < 200 or not names:
        return None
    section = path.parent.name.removeprefix("man")
    stem = path.name.removesuffix(".gz").rsplit(".", 1)[0]
    return Page(key=f"{section}/{stem}", names=names, summary=summary, description=description)


def pages(root: Path, lang: str) -> dict[str, Page]:
    base = root / "usr/share/man" / ("ru" if lang == "ru" else "")
    found: dict[str, Page] = {}
    for section in SECTIONS:
        for path in sorted((base / f"man{section}").glob("*.gz")):
            page = read_page(path)
            if page is not None:
                found[page.key] = page
    return found


def digest(*parts: str) -> int:
    return int(hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:12], 16)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ])")


def sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in _SENTENCE_END.split(p) if s.strip()]


def cut_body(text: str, limit: int = BODY_CHARS) -> str:
    if len(text) <= limit:
        return text
    end = max(text.rfind(". ", 0, limit), text.rfind("\n\n", 0, limit))
    return text[: end + 1 if end > limit // 2 else limit].rstrip()


def without_names(text: str, names: list[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(name)}(\(\w*\))?(?![\w])", " ", text)
    return " ".join(text.split())


def content_words(text: str, lang: str) -> list[str]:
    return [
        w
        for w in re.findall(r"[^\W_]+", text)
        if len(w) >= 3 and w.lower() not in STOP[lang] and not w.isdigit()
    ]


def with_typo(word: str) -> str:
    """One typing mistake, chosen by the word's hash: a letter dropped, swapped or doubled."""
    h = digest("typo", word)
    at = 1 + h % (len(word) - 2)  # never the first letter
    how = (h // 7) % 3
    if how == 0:
        return word[:at] + word[at + 1 :]
    if how == 1:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + word[at] + word[at:]


def queries_for(page: Page, lang: str, part: str) -> tuple[list[dict[str, object]], str]:
    """The page's queries, and the sentence taken out of its body ('' if none)."""
    slug = slug_of(page)
    out: list[dict[str, object]] = [
        {"q": page.summary, "relevant": [slug], "kind": "summary", "part": part}
    ]
    taken = ""
    for sentence in sentences(page.description):
        cleaned = without_names(sentence, page.names).strip(" .:;")
        if len(cleaned.split()) >= 6 and len(sentence) <= 300:
            taken = sentence
            out.append({"q": cleaned, "relevant": [slug], "kind": "sentence", "part": part})
            break
    short = content_words(page.summary, lang)[:3]
    if len(short) >= 2:
        out.append({"q": " ".join(short), "relevant": [slug], "kind": "short", "part": part})
        longest = max(short, key=len)
        if len(longest) >= 5:
            typed = [with_typo(w) if w == longest else w for w in short]
            out.append({"q": " ".join(typed), "relevant": [slug], "kind": "typo", "part": part})
    return out, taken


def slug_of(page: Page) -> str:
    return "man" + page.key.replace("/", "-")


def build(root: Path) -> dict[str, dict[str, Any]]:
    by_lang = {lang: pages(root, lang) for lang in ("en", "ru")}
    common = sorted(set(by_lang["en"]) & set(by_lang["ru"]))
    # A summary shared by two pages (sin, sinf, ...) has no one right answer: leave those out.
    for lang in ("en", "ru"):
        counts: dict[str, int] = {}
        for key in common:
            s = by_lang[lang][key].summary.lower()
            counts[s] = counts.get(s, 0) + 1
        common = [k for k in common if counts[by_lang[lang][k].summary.lower()] == 1]
    chosen = sorted(common, key=lambda k: digest("article", k))[:ARTICLES]
    queried = set(sorted(chosen, key=lambda k: digest("queried", k))[:QUERIED])
    sets: dict[str, dict[str, Any]] = {}
    for lang in ("en", "ru"):
        articles, queries = [], []
        for key in sorted(chosen):
            page = by_lang[lang][key]
            body = page.description
            if key in queried:
                part = "tune" if digest("part", key) % 10 < TUNING_SHARE else "heldout"
                found, taken = queries_for(page, lang, part)
                queries += found
                if taken:
                    body = body.replace(taken, "", 1)
            body = _tidy(body.replace("\n\n", "\n"))
            articles.append(
                {"slug": slug_of(page), "title": ", ".join(page.names), "body": cut_body(body)}
            )
        sets[lang] = {
            "language": lang,
            "source": "Debian bookworm manpages, manpages-dev, manpages-ru, manpages-ru-dev",
            "articles": articles,
            "queries": queries,
        }
    return sets


def fetch(into: Path) -> Path:
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=into, check=True)
    root = into / "root"
    for deb in sorted(into.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, help="the packages, already extracted here")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or fetch(Path(tmp))
        sets = build(root)
    for lang, data in sets.items():
        path = args.out / f"man_{lang}.json"
        text = json.dumps(data, ensure_ascii=False, indent=0)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"{path}: {len(data['articles'])} articles, {len(data['queries'])} queries")


if __name__ == "__main__":
    main()
