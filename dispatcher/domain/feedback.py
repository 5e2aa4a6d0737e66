"""What a client's answer to "we believe it is resolved" says, in Russian or English.

`read_answer` reads only the client's own words (`client_words`: the quoted mail, the
signature, the mobile footer, the disclaimer and the notification being answered are cut
off first) and tells whether they confirm the fix, say it is not fixed, or ask something
new, and which rating from 1 to 5 they give ("Ставлю 5", "оценка: 4 из 5", "5 stars",
"4/5", "★★★★☆", a bare "5"). When it cannot tell, it says so (`Verdict.unclear`): the
caller then neither closes nor reopens, and asks a dispatcher.

How it reads: the words are cut into fragments (sentences, then commas, dashes and
contrast words: "но", "потом", "but", "then"). Each fragment is positive (the thing
works: "работает", "fixed", "ошибка пропала", "no more errors", "без сбоев"), negative
(a negated working word: "не работает", "didn't help", "no longer works"; a problem word
not denied: "выдаёт ошибку", "still broken"; persistence: "опять", "same as before"), or
neither. Negation flips a working word within three words before it, and denies a problem
word the same way ("больше не выдаёт ошибку", "hasn't crashed once"). Several fragments
that disagree are settled by the last one when it follows a contrast or says "now", or
when the ones it contradicts are in the past; otherwise the answer is unclear. Hedges
("не уверен", "not sure"), promises to check ("проверю завтра", "I'll let you know") and
receipts ("понял", "noted") make an answer without a working or problem word unclear;
thanks alone confirm. A new topic ("ещё вопрос", "another issue", "could you also") or a
question that says nothing about the fix is a question; what follows a new topic is about
that topic, not about the fix.

`read_nps` reads the answer to the NPS pulse ("how likely are you to recommend us, 0 to
10?"): a bare number, "оценка 10", "I'd say 8 out of 10", "8/10", "девять"; none, or
two different numbers, is no answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from dispatcher.domain.quoting import client_words


class Verdict(StrEnum):
    confirmed = "confirmed"  # the fix works
    not_fixed = "not_fixed"
    question = "question"  # asks something new (`Answer.confirms`: and says the fix works)
    unclear = "unclear"  # a dispatcher must read it


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    score: int | None = None  # a rating from 1 to 5, when it gives exactly one
    confirms: bool = False  # the fix is confirmed (a question may confirm too)
    words: str = ""  # the client's own words, as read
    why: str = ""  # the words that decided, for the ticket's history


# --- ratings --------------------------------------------------------------------------

_DIGIT_END = r"(?![.,/]?\d)"
_RATING_PATTERNS = (
    # "Ставлю 5", "оценка: 4", "оцениваю на 4", "Rating 1 -", "I'd give you a 5"
    re.compile(
        r"(?:оценк\w*|оцениваю|оценим|ставлю|поставлю|ставим|даю|балл\w*|rating|rate[ds]?"
        r"|score|grade|i(?:'d| would)? give(?: you| it| this| the service)?)"
        r"\s*(?:[:=—–-]\s*|на\s+|an?\s+|is\s+)?([1-5])" + _DIGIT_END + r"(?!\s*(?:%|минут|мин\b"
        r"|час|дн|раз\b|printer|принтер|hour|minute|day|time|x\b))",
        re.IGNORECASE,
    ),
    # "4/5", "4 из 5", "4 out of 5"
    re.compile(r"(?<![\d/.,])([1-5])\s*(?:/|из|out of|of)\s*5" + _DIGIT_END, re.IGNORECASE),
    # "5 stars", "5 звёзд", "5*", "5 баллов"
    re.compile(r"(?<![\d.,])([1-5])\s*(?:stars?\b|звезд|звёзд|\*|балл)", re.IGNORECASE),
    # a line that is the rating: "5", "5!", "5 - спасибо", "4, thanks"
    re.compile(r"^\s*([1-5])(?:\s*[!.)]*\s*$|\s*[-–—:,]\s+(?=[^\d\s]))", re.MULTILINE),
)
_RATING_WORDS = {
    "пят": 5, "five": 5, "четв": 4, "четыр": 4, "four": 4, "тро": 3, "три": 3, "three": 3,
    "дво": 2, "два": 2, "two": 2, "единиц": 1, "один": 1, "one": 1, "кол": 1,
}  # fmt: skip
_RATING_WORD = re.compile(
    r"(?:ставлю|поставлю|оценка|оцениваю(?: на)?|на|rating|give you a|score)\s*[:—–-]?\s*"
    r"(?:тверд\w*\s+|твёрд\w*\s+)?(пят[её]рк\w*|пять|четв[её]рк\w*|четыре|тройк\w*|троечк\w*"
    r"|три|двойк\w*|два|единиц\w*|один|кол\b|five|four|three|two|one)\b"
    r"|\b(five|four|three|two|one)\s+stars?\b",
    re.IGNORECASE,
)
_STARS = re.compile(r"(★+)☆*")


def ratings(words: str) -> set[int]:
    """Every rating from 1 to 5 the words give (usually none or one)."""
    found = {int(m.group(1)) for pattern in _RATING_PATTERNS for m in pattern.finditer(words)}
    for match in _RATING_WORD.finditer(words):
        word = (match.group(1) or match.group(2)).lower()
        found |= {score for stem, score in _RATING_WORDS.items() if word.startswith(stem)}
    for match in _STARS.finditer(words):
        if 1 <= len(match.group(1)) <= 5:
            found.add(len(match.group(1)))
    return found


# --- the words that decide ------------------------------------------------------------


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Phrases read as one word before anything else (their parts would mislead).
_REWRITES = (
    (r"\b(спасибо|благодарю) (вам )?(за|по) \w+( \w+)?", "спасибо"),
    (r"\bthank(s| you) (so much )?for (the|your|all the|all your)( \w+)? help\b", "thanks"),
    (r"\b(thanks|thank you) again\b|\b(еще|ещё) раз спасибо\b", "thanks"),
    (r"\bkeep(ing)? an eye\b|\bпонаблюда\w*", "watch"),
    (r"\b(try|test|check|проверю|попробую|посмотрю)( it| ещё| еще)? (again|раз)\b", "check"),
    (r"\bне за что\b|\bno problem\b|\bno worries\b", "ok"),
    # "I'll let you know if it happens again": a promise about later, not a complaint.
    (
        r"\b(let you know|дам знать|напишу|сообщу|отпишусь|will (write|call))( again)?"
        r",? (if|если|in case|в случае)\b.*",
        "watch",
    ),
)
_REWRITE_PATTERNS = tuple((re.compile(p), r) for p, r in _REWRITES)
_NEW_TOPIC = _any(
    r"\b(еще|ещё)( один| одна)? (вопрос|просьба|проблема)",
    r"\b(другой|новый|отдельный|следующий) вопрос",
    r"\b(другая|новая|отдельная) (проблема|просьба)",
    r"\bне по теме",
    r"\bкстати\b",
    r"\b(также|так же|а также|и еще|и ещё) (прошу|нужно|надо|помогите|подскажите)",
    r"\bпрошу (также |еще |ещё )?(настро|добав|установ|подключ|созда|выда|сделат|помоч)",
    r"\banother (question|issue|thing|problem|request)",
    r"\bone more (thing|question|request)",
    r"\b(separate|unrelated|different|new) (issue|question|matter|problem|request)",
    r"\bby the way\b|\bbtw\b",
    r"\b(could|can|would) you (also|please also)\b",
    r"\bplease also\b|\balso,? (could|can|would) you\b",
)
_QUESTION_START = re.compile(
    r"^(как|что|когда|где|почему|зачем|можно ли|можно|можете|могли бы|не могли бы|подскажите"
    r"|скажите|а можно|а как|есть ли|нельзя ли|кто|how|what|when|where|why|who|which|can you"
    r"|could you|would you|is there|are there|is it possible|do you)\b"
)
_CLOSE = _any(
    r"\bможно (закры|закрыв)",
    r"\bзакрыва(йте|ть)\b",
    r"\bможете (закры|закрыв)",
    r"\b(you )?can close\b",
    r"\bplease close\b",
    r"\bclose (it|the ticket|this)\b",
    r"\bfeel free to close\b",
)
_CONFIRM = _any(r"\bподтвержда\w*", r"\bподтверждено\b", r"\bconfirm(ed|ing)?\b")
# Working words: the thing does what it should.
_WORKS = _any(
    r"\b(за)?работа(ет|ют|л|ла|ло|ли)\b",
    r"\bпечата(ет|ют)\b",
    r"\b(подключа|открыва|отправля|запуска|включа|загружа|сохраня|синхронизиру)(ется|ются)\b",
    r"\b(гружу?тся|грузится|приход(ит|ят)|сканиру(ет|ют)|видит|входит|пускает|ловит)\b",
    r"\b(в порядке|нормально|норм|отлично|супер|получилось|стабильн\w*)\b",
    r"\bвсе (ок|окей|хорошо|отлично|нормально|супер)\b",
    r"\bwork(s|ing|ed)?\b",
    r"\b(connects?|connecting|prints?|printing|loads?|loading|opens?|syncs?|syncing)\b",
    r"\b(fine|perfect|perfectly|excellent|flawless\w*|stable)\b",
    r"\ball good\b|\b(looks?|seems?) (good|fine|ok|okay|great)\b|\bback to normal\b",
    r"\bup and running\b|\blike a charm\b|\bdid the trick\b",
    r"\bhelp(ed|s)?\b|\bпомог(ло|ла|ли)?\b",
)
# Fixing words: somebody put it right (these also settle a problem word next to them).
_FIXED = _any(
    r"\bреш(ен|ена|ено|ены|или|ил|ила|илось|ился|илась|али)\b",
    r"\bисправ(лен\w*|или|ил|ила|ило|ились)\b",
    r"\b(почин|налад|устран|восстанов)(или|ил|ила|ило|лен\w*|ен\w*|ено)\b",
    r"\b(почин|налад|устран|восстанов)(илось|ился|илась|ились)\b",
    r"\b(fixed|solved|resolved|sorted)\b",
)
_PROBLEM = _any(
    r"\bошибк\w*|\bошибок\b",
    r"\bпроблем\w*",
    r"\bсбо(й|и|ев|ем|я|ями)\b",
    r"\bглюч\w*|\bглюк\w*",
    r"\bзавис\w*|\bвиснет\b|\bвисит\b",
    r"\bпада(ет|ют)\b|\bупал[оаи]?\b",
    r"\bвылета\w*|\bвылетел\w*|\bтормоз\w*",
    r"\bотвалива\w*|\bотвалил\w*|\bсломал\w*|\bсломан\w*|\bобрыв\w*|\bразрыв\w*",
    r"\berrors?\b|\bissues?\b|\bproblems?\b|\bbroken\b|\bbugs?\b",
    r"\bcrash(es|ed|ing)?\b|\bfail(s|ed|ing|ure|ures)?\b",
    r"\bfreez(e|es|ing)\b|\bfroze\b|\bhang(s|ing)\b|\bstuck\b",
    r"\bdropp(ing|ed)\b|\bdrops\b|\b(is|goes|went) down\b",
)
# "No more": the problem stopped (next to a working word: the thing stopped working).
_STOPPED = _any(
    r"\bбольше не\b|\bуже не\b|\bбольше нет\b|\bнет больше\b",
    r"\bперестал\w*|\bпрекратил\w*",
    r"\bпропал\w*|\bисчез\w*|\bушл[аио]\b|\bушел\b|\bушёл\b",
    r"\bне (повторя|повторил|появля|появил|возника|возник)\w*",
    r"\bno more\b|\bno longer\b|\bnot any ?more\b|\banymore\b",
    r"\bstopped\b|\bgone\b|\bdisappeared\b|\bwent away\b",
    r"\bhas(n't| not) (come back|returned|happened|reappeared)\b",
    r"\bhaven't seen\b",
)
_STILL = _any(
    r"\bвсе (еще|ещё)\b|\bвсё (еще|ещё)\b|\bвсе так же\b",
    r"\bопять\b|\bснова\b|\bпо-?прежнему\b",
    r"\bто же самое\b|\bта же\b|\bтот же\b|\bто же\b|\bтакая же\b|\bтакой же\b",
    r"\bкак (и )?раньше\b|\bкак было\b|\bостал(ась|ся|ось|ись)\b|\bпродолжа\w*",
    r"\bна месте\b|\bникуда не дел\w*|\bничего не измени\w*|\bбез изменений\b",
    r"\bтак и (нет|не)\b|\bstill no\b",
    r"\bstill\b|\bagain\b|\bsame\b|\bpersists?\b|\bcontinues?\b|\bremains?\b",
    r"\bkeeps? \w+ing\b|\bas before\b|\bno change\b|\bnothing (has )?changed\b",
)
_NOT_ALL = _any(
    r"\bкроме\b",
    r"\bза исключением\b",
    r"\bexcept\b",
    r"\bapart from\b",
    r"\bother than\b",
)
_ON_AND_OFF = _any(
    r"\bиногда\b.*\bнет\b|\bчерез раз\b|\bпериодически\b|(^|[\s,])то \w+,? то \w+",
    r"\bsometimes\b|\bintermittent\w*|\bon and off\b|\boff and on\b|\bfrom time to time\b",
    r"\b(comes|coming|came) and (goes|going|went)\b",
)
_UNSURE = _any(
    r"\bне уверен\w*|\bне знаю\b|\b(сложно|трудно) сказать\b|\bнепонятно\b|\bне понятно\b",
    r"\bnot sure\b|\bunsure\b|\bhard to say\b|\bdon't know\b|\bcan't tell\b|\bnot certain\b",
)
_LATER = _any(
    r"\bпровер(ю|им|ит|ят|ять|ка)\b|\bне провер\w*|\bпосмотр(ю|им|ит)\b",
    r"\bотпишу(сь)?\b|\bдам знать\b|\bсообщу\b|\bнапишу\b|\bуточн\w*",
    r"\bпереслал\w*|\bпередал\w*|\bответит\b|\bпозже\b|\bзавтра\b|\bне могу проверить\b",
    r"\b(will|i'll|we'll) (check|test|try|see|look|let you know|get back|confirm)\b",
    r"\blet you know\b|\bget back to you\b|\bneed to ask\b|\bto test\b|\bforward(ed)?\b",
    r"\bhaven't (had a chance|tested|tried|checked)\b|\bnot (yet )?(tested|checked|tried)\b",
    r"\blater\b|\btomorrow\b|\bgive me\b",
)
_RECEIPT = _any(
    r"\bпонял[аи]?\b|\bпонятно\b|\bясно\b|\bпринято\b|\bпринял[аи]?\b",
    r"\bполучил[аи]?\b|\bполучено\b",
    r"\bnoted\b|\bgot it\b|\bunderstood\b|\breceived\b|\backnowledged\b",
)
_THANKS = _any(
    r"\bспасибо\b|\bблагодар\w*|\bмолодцы\b|\bок\b|\bокей\b|\bхорошо\b|\bладно\b",
    r"\bthanks?\b|\bthank you\b|\bcheers\b|\bappreciated?\b|\bok(ay)?\b|\bgreat\b|\bawesome\b",
    r"\bi think so\b|\bкажется да\b|\bвроде (бы )?да\b",
)
_YES = re.compile(r"^(да|ага|угу|так точно|yes|yep|yeah|yup|sure|correct)$")
_NO = re.compile(r"^(нет|неа|no|nope|not really)$")
_HEDGE = re.compile(r"^(вроде|вроде бы|кажется|похоже|наверное|i think|probably)\s+")
_NEGATOR = re.compile(r"^(не|нет|ни|ничего|никак|нигде|not|no|never|nothing|none|cannot)$|n't$")
_DENIER = re.compile(r"^(без|without|zero)$")
_CONTRAST = re.compile(
    r"^(но|однако|а|зато|потом|затем|но теперь|а потом|а сейчас|but|however|though|although"
    r"|then|and then|after that)\b"
)
_BUT_NOT = re.compile(r"^(но|а|однако|but|however|only)\b.*(\b(не|нет|not|no)\b|n't\b)")
_TAG = re.compile(r"^(right|ok|okay|yes|да|верно|правильно|так|ведь так)$")
_NOW = re.compile(r"\b(теперь|сейчас|наконец|now|at last|finally)\b")
_PAST = re.compile(
    r"\b(было|была|был|были|утром|вчера|раньше|сначала|до обеда|до этого|работало|работал"
    r"|работала|работали|this morning|yesterday|earlier|at first|used to|was|were|had"
    r"|worked|didn't|did not|wasn't|weren't)\b"
)
_FRAGMENT_SPLIT = re.compile(
    r"\s*[,:;()«»\"]\s*|\s+[—–-]\s+|\s*—\s*"
    r"|\s+(?=(?:но|однако|зато|потом|затем|а потом|but|however|though|although|and then"
    r"|then|after that)\b)"
)
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")
_WORD = re.compile(r"[\w'’-]+")


@dataclass
class _Fragment:
    text: str
    question: bool
    polarity: int = 0  # 1 positive, -1 negative, 0 neither
    contrast: bool = False
    now: bool = False
    past: bool = False


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _word_index(text: str, at: int) -> int:
    return len(_WORD.findall(text[:at]))


def _preceded(words: list[str], index: int, test: re.Pattern[str], reach: int = 3) -> bool:
    return any(test.search(w) for w in words[max(0, index - reach) : index])


def _polarity(text: str, *, question: bool = False, first: bool = True) -> int:
    """1 if the fragment says it works, -1 if it says it does not, 0 if neither."""
    words = _WORD.findall(text)
    stopped = []
    for start, end in _spans(_STOPPED, text):
        own = _NEGATOR.search(_WORD.findall(text[start:end])[0])
        if not own and _preceded(words, _word_index(text, start), _NEGATOR, reach=2):
            return -1  # "ошибка не пропала", "it has not gone away"
        stopped.append((start, end))
    works = [_word_index(text, a) for a, _ in _spans(_WORKS, text) + _spans(_FIXED, text)]
    for index in works:
        after_stop = any(_word_index(text, a) in range(index - 3, index) for a, _ in stopped)
        if after_stop or _preceded(words, index, _NEGATOR):
            return -1  # "не работает", "no longer works", "didn't help", "not fixed"
    problems = [(a, _word_index(text, a)) for a, _ in _spans(_PROBLEM, text)]
    if problems:
        denied = all(
            _preceded(words, i, _NEGATOR)
            or _preceded(words, i, _DENIER)
            or stopped
            # "ошибок нет", "проблем нет", "ошибок не было"
            or any(w in ("нет", "none") for w in words[i + 1 : i + 3])
            or words[i + 1 : i + 3] == ["не", "было"]
            for _, i in problems
        )
        if denied or _FIXED.search(text):
            return 1  # "больше не выдаёт ошибку", "без сбоев", "проблема решена"
        if question and _PAST.search(text) and not _STILL.search(text):
            return 0  # "what was the cause of the problem?" asks about the past
        return -1
    if works or stopped or _CLOSE.search(text) or _CONFIRM.search(text):
        return 1
    if _STILL.search(text):
        return -1  # "опять то же самое", "it happened again"
    bare = _HEDGE.sub("", text.strip(" .!?"))
    # A bare yes or no answers the notification only as the first word: later it is
    # elliptical ("the mouse still does not work, the keyboard - yes").
    if first and _NO.match(bare):
        return -1
    if first and _YES.match(bare):
        return 1
    if _BUT_NOT.match(text) and not _UNSURE.search(text):
        return -1  # "works on my laptop, but not on the desktop"
    return 0


def _fragments(words: str) -> list[_Fragment]:
    """The fragments in order; a question is the fragment before the "?" (unless it is
    a tag like "right?") and any fragment that opens like one ("как", "could you")."""
    out = []
    for sentence in _SENTENCE.findall(words):
        asked = sentence.rstrip().endswith("?")
        pieces = [p.strip(" .!?…") for p in _FRAGMENT_SPLIT.split(sentence.strip(" .!?…"))]
        pieces = [p for p in pieces if p]
        for number, piece in enumerate(pieces, start=1):
            last = number == len(pieces)
            out.append(
                _Fragment(
                    text=piece,
                    question=(asked and last and not _TAG.match(piece))
                    or bool(_QUESTION_START.match(piece)),
                    contrast=bool(_CONTRAST.match(piece)),
                    now=bool(_NOW.search(piece)),
                    past=bool(_PAST.search(piece)),
                )
            )
    return out


def _normal(text: str) -> str:
    text = text.casefold().replace("ё", "е").replace("’", "'")
    for pattern, replacement in _REWRITE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _settle(polar: list[_Fragment]) -> int:
    """The polarity of fragments that disagree: the last one's, when it may overrule."""
    last = polar[-1]
    against = [f for f in polar[:-1] if f.polarity != last.polarity]
    if last.contrast or last.now or all(f.past for f in against):
        return last.polarity
    return 0


def read_answer(body: str, *, answered: str = "") -> Answer:
    """Confirmed, not fixed, a new question, or unclear; and the rating, if one is given.

    `answered` is the text of the notification the reply answers: its lines are not the
    client's words even when the reply pastes it without quote marks.
    """
    words = client_words(body, answered=answered)
    if not words:
        return Answer(Verdict.unclear, why="no words of the client's own")
    found = ratings(words)
    score = next(iter(found)) if len(found) == 1 else None
    text = _normal(words)
    fragments = _fragments(text)
    new_topic = False
    for number, fragment in enumerate(fragments):
        new_topic = new_topic or bool(_NEW_TOPIC.search(fragment.text))
        if new_topic:
            fragment.question = True  # about the new topic, not the fix
            continue
        fragment.polarity = _polarity(fragment.text, question=fragment.question, first=number == 0)
        if fragment.question and fragment.polarity > 0 and not _CLOSE.search(fragment.text):
            fragment.polarity = 0  # "is it fixed for everyone?" asks, does not confirm
    polar = [f for f in fragments if f.polarity]
    positive = [f for f in polar if f.polarity > 0]
    negative = [f for f in polar if f.polarity < 0]
    asks = any(f.question and not f.polarity for f in fragments)

    def answer(verdict: Verdict, why: str, *, confirms: bool = False) -> Answer:
        return Answer(verdict, score, confirms, words, why[:200])

    if len(found) > 1:
        return answer(Verdict.unclear, f"more than one rating: {sorted(found)}")
    if _ON_AND_OFF.search(text) or (positive and _NOT_ALL.search(text)):
        what = _ON_AND_OFF.search(text) or _NOT_ALL.search(text)
        return answer(
            Verdict.not_fixed, f"says it works only partly: {what.group(0) if what else ''}"
        )
    if positive and negative:
        settled = _settle(polar)
        if settled == 0:
            return answer(
                Verdict.unclear, f"says both {positive[-1].text!r} and {negative[-1].text!r}"
            )
        positive, negative = (positive, []) if settled > 0 else ([], negative)
    if negative:
        return answer(Verdict.not_fixed, f"says {negative[-1].text!r}")
    unsure = _UNSURE.search(text)
    if unsure:
        return answer(Verdict.unclear, f"is not sure: {unsure.group(0)!r}")
    if positive or score is not None:
        why = f"says {positive[-1].text!r}" if positive else f"rates it {score}"
        if asks:
            return answer(Verdict.question, f"{why}, and asks something new", confirms=True)
        return answer(Verdict.confirmed, why, confirms=True)
    if asks:
        return answer(Verdict.question, "asks something new")
    later = _LATER.search(text) or _RECEIPT.search(text)
    if later:
        return answer(Verdict.unclear, f"does not say yet: {later.group(0)!r}")
    thanks = _THANKS.search(text)
    if thanks:
        return answer(Verdict.confirmed, f"says {thanks.group(0)!r}", confirms=True)
    return answer(Verdict.unclear, "says neither that it works nor that it does not")


# --- the NPS pulse: "how likely are you to recommend us, from 0 to 10?" ---------------

_NPS_END = r"(?![.,:/]?\d)(?!\s*(?:%|минут|мин\b|час|дн|раз\b|hours?\b|minutes?\b|days?\b|times\b"
_NPS_END += r"|x\b|шт|руб|rub|usd|\$|€))"
_NPS_PATTERNS = (
    # "8 out of 10", "8/10", "8 из 10", "9 из десяти"
    re.compile(
        r"(?<![\d/.,:])(10|[0-9])\s*(?:/|из|out of|of)\s*(?:10|десяти)(?![.,]?\d)", re.IGNORECASE
    ),
    # "оценка 10", "ставлю 9", "I'd say 8", "I'd give you a 9", "score: 7", "NPS 6"
    re.compile(
        r"(?:оценк\w*|оцениваю|ставлю|поставлю|даю|балл\w*|nps|rating|rate|score|grade"
        r"|i(?:'d| would) say|i(?:'d| would)? give(?: you| it| this| the service)?|say)"
        r"\s*(?:[:=—–-]\s*|на\s+|an?\s+|is\s+)?(10|[0-9])" + _NPS_END,
        re.IGNORECASE,
    ),
    # a line that is the answer: "9", "10!", "0.", "9 - спасибо", "8, thanks"
    re.compile(r"^\s*(10|[0-9])(?:\s*[!.)]*\s*$|\s*[-–—:,]\s+(?=[^\d\s]))", re.MULTILINE),
)
_NPS_WORDS = {
    "ноль": 0, "zero": 0, "один": 1, "one": 1, "два": 2, "two": 2, "три": 3, "three": 3,
    "четыре": 4, "four": 4, "пять": 5, "five": 5, "шесть": 6, "six": 6, "семь": 7,
    "seven": 7, "восемь": 8, "eight": 8, "девять": 9, "nine": 9, "десять": 10, "ten": 10,
}  # fmt: skip
_NPS_WORD = re.compile(
    r"(?:^\s*|(?:оценка|ставлю|поставлю|даю|score|say|give you a|rating)\s*[:—–-]?\s*)"
    r"(" + "|".join(_NPS_WORDS) + r")\b",
    re.IGNORECASE | re.MULTILINE,
)


def nps_scores(words: str) -> set[int]:
    """Every 0-10 answer the words give (usually none or one)."""
    found = {int(m.group(1)) for pattern in _NPS_PATTERNS for m in pattern.finditer(words)}
    found |= {_NPS_WORDS[m.group(1).lower()] for m in _NPS_WORD.finditer(words)}
    return found


def read_nps(body: str, *, answered: str = "") -> int | None:
    """The 0-10 answer to the NPS question in a reply ("9", "оценка 10", "I'd say 8 out
    of 10", "0"), or None when the client's own words give none or more than one."""
    words = client_words(body, answered=answered)
    found = nps_scores(words)
    return next(iter(found)) if len(found) == 1 else None
