"""KB full-text search on the running backend: word forms, ranking, filters, upkeep."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import delete, select

from dispatcher.domain.enums import ArticleStatus, MessageKind, TicketStatus, Visibility
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.search_text import parse_query
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles, ranking, search
from dispatcher.store.models import KbArticle
from dispatcher.store.models.knowledge import KbSearchDoc
from dispatcher.store.tickets import writes
from tests.factories import new_ticket, world

FILLER = [
    ("Office opening hours", "The office is open on weekdays from nine to six."),
    ("Ordering a new laptop", "Ask your manager to approve the order in the portal."),
    ("Booking a meeting room", "Rooms are booked in the calendar of the floor."),
    ("Парковка у офиса", "Гостевые места на парковке бронирует секретарь."),
    ("Отпуск и больничный", "Заявление на отпуск подают за две недели."),
    ("Coffee machine", "Descale it every month with the tablets in the kitchen."),
    ("Badge lost", "Security issues a new badge after a short form."),
    ("Командировки", "Билеты и гостиницу заказывает офис-менеджер."),
]


def _add(
    store: Store,
    now: datetime,
    slug: str,
    title: str,
    body: str,
    *,
    tags: tuple[str, ...] = (),
    visibility: Visibility = Visibility.internal,
    groups: tuple[str, ...] = (),
    status: ArticleStatus = ArticleStatus.published,
) -> int:
    with store.write() as session:
        result = articles.upsert_article(
            session,
            slug=slug,
            title=title,
            body=body,
            tags=tags,
            visibility=visibility,
            groups=groups,
            status=status,
            now=now,
        )
    return result.article.id


@pytest.fixture
def library(store: Store, now: datetime) -> Store:
    """A few unrelated articles, so that the words under test are rare (BM25 needs that)."""
    for n, (title, body) in enumerate(FILLER):
        _add(store, now, f"filler-{n}", title, body)
    return store


def _slugs(store: Store, query: str, **options: object) -> list[str]:
    with store.read() as session:
        hits = search.search(session, query=query, **options)  # type: ignore[arg-type]
    return [h.slug for h in hits]


def test_russian_and_english_word_forms_find_each_other(library: Store, now: datetime) -> None:
    _add(library, now, "printer", "Принтер не печатает", "Переустановите драйвер принтера.")
    _add(library, now, "print-queue", "Clearing the print queue", "Documents printed twice.")
    assert _slugs(library, "принтеры") == ["printer"]
    assert _slugs(library, "драйвером") == ["printer"]
    assert _slugs(library, "printing documents") == ["print-queue"]
    assert _slugs(library, "ПЕЧАТАЕТ") == ["printer"]


def test_stop_words_alone_find_nothing_and_do_not_dilute(library: Store, now: datetime) -> None:
    _add(library, now, "vpn", "VPN token", "Reset the token in the portal.")
    assert _slugs(library, "the and of") == []
    assert _slugs(library, "how do I reset the token") == ["vpn"]


def test_a_title_match_ranks_above_a_body_match(library: Store, now: datetime) -> None:
    _add(library, now, "in-body", "Network basics", "Restart the router and then the modem.")
    _add(library, now, "in-title", "Router restart", "Hold the power button for ten seconds.")
    assert _slugs(library, "router") == ["in-title", "in-body"]


def test_more_matching_words_rank_higher(library: Store, now: datetime) -> None:
    _add(library, now, "one", "Mail quota", "The mailbox is full.")
    _add(library, now, "two", "Mail quota exceeded", "The mailbox is full; archive old mail.")
    assert _slugs(library, "mailbox archive")[0] == "two"


def test_the_word_being_typed_is_a_prefix(library: Store, now: datetime) -> None:
    _add(library, now, "vpn", "VPN token", "Reset the token in the portal.")
    assert _slugs(library, "vpn tok", typing=True) == ["vpn"]
    assert _slugs(library, "portа", typing=True) == []  # a Cyrillic "а": another word
    assert _slugs(library, "resett", typing=True) == ["vpn"]  # past the stem "reset"
    assert _slugs(library, "tok") == []  # a finished query: whole words only


def test_hits_carry_a_highlighted_snippet_and_a_score(library: Store, now: datetime) -> None:
    body = "Intro line. " * 40 + "Then replace the toner cartridge carefully. " + "End. " * 40
    _add(library, now, "toner", "Toner", body)
    with library.read() as session:
        (hit,) = search.search(session, query="cartridges")
    assert hit.title == "Toner"
    assert hit.score > 0
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["cartridge"]
    assert len(hit.snippet) < len(body)
    assert hit.title_highlights == ()


def test_an_edit_reindexes_and_old_words_are_gone(library: Store, now: datetime) -> None:
    _add(library, now, "vpn", "VPN token", "Reset the token in the portal.")
    _add(library, now, "vpn", "VPN certificate", "Renew the certificate yearly.")
    assert _slugs(library, "token") == []
    assert _slugs(library, "certificates") == ["vpn"]
    with library.read() as session:
        assert len(session.exec(select(KbSearchDoc)).all()) == len(FILLER) + 1


def test_a_deleted_article_leaves_the_index(library: Store, now: datetime) -> None:
    article_id = _add(library, now, "vpn", "VPN token", "Reset the token in the portal.")
    with library.write() as session:
        session.exec(delete(KbArticle).where(KbArticle.id == article_id))  # type: ignore[arg-type]
    assert _slugs(library, "token") == []
    with library.read() as session:
        assert session.get(KbSearchDoc, article_id) is None


def test_reimporting_a_folder_updates_the_index_without_duplicates(
    library: Store, now: datetime, tmp_path: Path
) -> None:
    (tmp_path / "vpn.md").write_text("---\ntitle: VPN token\n---\nReset the token.\n", "utf-8")
    articles.import_folder(library, folder=tmp_path, author_id=None, now=now)
    articles.import_folder(library, folder=tmp_path, author_id=None, now=now)
    assert _slugs(library, "token") == ["vpn"]
    (tmp_path / "vpn.md").write_text("---\ntitle: VPN token\n---\nРезервная копия.\n", "utf-8")
    articles.import_folder(library, folder=tmp_path, author_id=None, now=now)
    assert _slugs(library, "копии") == ["vpn"]
    assert _slugs(library, "reset") == []


def test_filters_by_visibility_tag_status_and_groups(library: Store, now: datetime) -> None:
    _add(library, now, "pub", "Printer jam", "Open tray two.", visibility=Visibility.public)
    _add(library, now, "int", "Printer firmware", "Flash it.", tags=("firmware",))
    _add(library, now, "draft", "Printer draft", "Not ready.", status=ArticleStatus.draft)
    _add(library, now, "net", "Printer on VLAN", "Port 9100.", groups=("network",))
    assert sorted(_slugs(library, "printer")) == ["int", "net", "pub"]
    assert _slugs(library, "printer", visibility=Visibility.public) == ["pub"]
    assert _slugs(library, "printer", tag="Firmware") == ["int"]
    drafts = _slugs(library, "printer", statuses=(ArticleStatus.draft,))
    assert drafts == ["draft"]
    assert sorted(_slugs(library, "printer", reader_groups=["hardware"])) == ["int", "pub"]
    assert sorted(_slugs(library, "printer", reader_groups=["Network"])) == ["int", "net", "pub"]


def test_limit_is_respected_and_checked(library: Store, now: datetime) -> None:
    for n in range(5):
        _add(library, now, f"p{n}", f"Printer {n}", "Printer help.")
    assert len(_slugs(library, "printer", limit=3)) == 3
    with library.read() as session, pytest.raises(ValidationError):
        search.search(session, query="printer", limit=0)


def test_suggestions_for_a_ticket_come_from_its_subject_and_body(
    library: Store, now: datetime
) -> None:
    _add(library, now, "vpn", "VPN does not connect", "Check the token and the client version.")
    _add(library, now, "printer", "Printer offline", "Power-cycle the printer.")
    w = world(library)
    ticket = new_ticket(library, w, now=now, subject="VPN down", body="Our token is expired")
    assert ticket.id is not None
    with library.read() as session:
        hits = search.suggest_for_ticket(session, ticket_id=ticket.id)
        assert hits[0].slug == "vpn"
        assert "printer" not in [h.slug for h in hits]
        with pytest.raises(NotFoundError):
            search.suggest_for_ticket(session, ticket_id=999_999)


def test_suggestions_leave_out_quoted_mail_and_the_signature_and_say_why(
    library: Store, now: datetime
) -> None:
    _add(library, now, "vpn", "VPN does not connect", "Check the token and the client version.")
    _add(library, now, "printer", "Printer offline", "Power-cycle the printer.")
    _add(library, now, "invoice", "Invoice questions", "Billing answers invoices.")
    w = world(library)
    body = (
        "Our VPN token is expired again.\n\n"
        "Best regards,\nPrinter Department, Invoice Team\n\n"
        "On Mon, 16 Nov 2026 at 10:00, Support <help@example.com> wrote:\n"
        "> your printer is offline, printer printer printer\n"
    )
    ticket = new_ticket(library, w, now=now, subject="Cannot work", body=body)
    with library.read() as session:
        hits = search.suggest_for_ticket(session, ticket_id=ticket.id or 0)
    assert [h.slug for h in hits] == ["vpn"]  # not the quote's printer, not the signature's
    assert set(hits[0].matched()) >= {"vpn", "token"}


def test_uses_and_helpful_votes_are_counted(library: Store, now: datetime) -> None:
    article_id = _add(library, now, "vpn", "VPN token", "Reset the token.")
    with library.write() as session:
        assert articles.record_use(session, article_id=article_id) == 1
        assert articles.record_use(session, article_id=article_id) == 2
        assert articles.vote_helpful(session, article_id=article_id) == 1
    with library.read() as session:
        (hit,) = search.search(session, query="token")
    assert (hit.uses, hit.helpful_votes) == (2, 1)
    with library.write() as session, pytest.raises(NotFoundError):
        articles.record_use(session, article_id=999_999)


def test_a_draft_article_from_a_resolved_ticket(library: Store, now: datetime) -> None:
    w = world(library)
    ticket = new_ticket(library, w, now=now, subject="Printer prints blank pages")
    assert ticket.id is not None
    with library.write() as session:
        with pytest.raises(ValidationError, match="solved ticket"):
            articles.draft_from_ticket(session, ticket_id=ticket.id)
        for body in ("First try: restart it.", "Replace the toner cartridge."):
            writes.add_message(
                session,
                ticket_id=ticket.id,
                kind=MessageKind.reply,
                body=body,
                actor_id=w.engineer.id,
                now=now,
            )
        writes.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.note,
            body="internal only",
            actor_id=w.engineer.id,
            now=now,
        )
        writes.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now,
        )
    with library.write() as session:
        draft = articles.draft_from_ticket(session, ticket_id=ticket.id)
        assert draft.title == "Printer prints blank pages"
        assert draft.body == "Replace the toner cartridge.\n"
        article_id = articles.save_draft(
            session, draft=draft, title=draft.title, body=draft.body, author_id=w.lead.id, now=now
        )
    with library.read() as session:
        article = session.get(KbArticle, article_id)
        assert article is not None
        assert article.status == ArticleStatus.draft
        assert article.source_ticket_id == ticket.id
    assert _slugs(library, "toner") == []  # a draft is not searched by default
    assert _slugs(library, "toner", statuses=(ArticleStatus.draft,)) == [draft.slug]


def test_rebuild_recomputes_every_document(library: Store, now: datetime) -> None:
    _add(library, now, "vpn", "VPN token", "Reset the token.")
    with library.write() as session:
        session.exec(delete(KbSearchDoc))
    assert _slugs(library, "token") == []
    with library.write() as session:
        assert search.rebuild(session) == len(FILLER) + 1
    assert _slugs(library, "token") == ["vpn"]


def test_hostile_queries_are_just_words(library: Store, now: datetime) -> None:
    _add(library, now, "vpn", "VPN token", "Reset the token.")
    for query in [
        '"',
        "token*",
        "NEAR(token reset)",
        "token) OR (",
        "-token",
        "title:token",
        "':*|&!",
    ]:
        with library.read() as session:
            search.search(session, query=query, typing=True)
    assert _slugs(library, 'NEAR("token"') == ["vpn"]


def test_on_a_big_base_words_in_most_articles_are_left_out_of_the_match(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "PRUNE_FROM", 10)
    for n in range(12):
        _add(store, now, f"r{n}", f"Router model {n}", "Router manual page.")
    _add(store, now, "fw", "Router firmware", "Flash the router firmware.")
    with store.read() as session:
        parsed = parse_query("router firmware")
        if store.is_sqlite:
            assert ranking.without_common_terms(search.SessionSql(session), parsed).terms == (
                "firmwar",
            )
            # Every word common: the rarest is kept, so the search still finds something.
            only = ranking.without_common_terms(
                search.SessionSql(session), parse_query("router manual")
            )
            assert len(only.terms) == 2
        hits = search.search(session, query="router firmware", limit=3)
        assert hits[0].slug == "fw"
        assert [hits[0].snippet[s:e] for s, e in hits[0].highlights] == ["router", "firmware"]
        assert len(search.search(session, query="router", limit=20)) == 13


def test_on_a_big_base_postgres_chooses_candidates_by_the_rarest_words_within_a_budget(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "PRUNE_FROM", 10)
    monkeypatch.setattr(ranking, "PG_BUDGET", 2)
    for n in range(12):
        _add(store, now, f"m{n}", f"Modem model {n}", "The cable goes in the modem.")
    for n in range(2):
        _add(store, now, f"p{n}", f"Printer {n}", "A printer on the second floor.")
    _add(store, now, "fw", "Modem firmware", "Flash the modem firmware from the printer.")
    with store.read() as session:
        counts = ranking.TermCounts(search.SessionSql(session))
        # "printer" is in 3 of 15 articles, not common; but "firmware" (1) fits the budget
        # of 2 and "printer" would not: only the rarest chooses the candidates.
        narrow = ranking._within_budget(counts, parse_query("printer firmware"))
        assert narrow.terms == ("firmwar",)
        typed = ranking._within_budget(counts, parse_query("firmware prin", typing=True))
        assert (typed.terms, typed.prefixes) == (("firmwar",), ())
        hits = search.search(session, query="printer firmware", limit=5)
    found = [h.slug for h in hits]
    if store.is_sqlite:  # FTS5 reads posting lists, and needs no budget
        assert found[0] == "fw"
        assert sorted(found[1:]) == ["p0", "p1"]
    else:
        assert found == ["fw"]
    # The word left out of the choice still counts in the ranking and the highlights.
    assert [hits[0].snippet[s:e] for s, e in hits[0].highlights] == ["firmware", "printer"]


def test_a_typo_is_searched_as_the_knowledge_base_spells_the_word(
    library: Store, now: datetime
) -> None:
    _add(library, now, "account", "Account locked", "Five wrong passwords lock the account.")
    _add(library, now, "printer", "Принтер не печатает", "Переустановите драйвер принтера.")
    assert _slugs(library, "acccount locked") == ["account"]
    assert _slugs(library, "принетр") == ["printer"]
    with library.read() as session:
        hit = search.search(session, query="acccount")[0]
    assert hit.title_highlights == ((0, 7),)  # the respelled word shows why it matched


def test_hyphenated_and_joined_spellings_find_each_other(library: Store, now: datetime) -> None:
    _add(library, now, "wifi", "Wi-Fi drops every hour", "Forget the network and join again.")
    _add(library, now, "mail", "Email setup", "Add the mailbox in the client.")
    _add(library, now, "vpn", "VPN-клиент не подключается", "Переустановите клиент.")
    assert _slugs(library, "wifi drops")[0] == "wifi"
    assert _slugs(library, "e-mail setup")[0] == "mail"
    assert _slugs(library, "vpnклиент")[0] == "vpn"
    with library.read() as session:
        hit = search.search(session, query="wifi")[0]
    assert hit.title_highlights == ((0, 5),)  # "Wi-Fi", whole


def test_a_typo_is_respelled_from_the_word_not_from_its_stem(library: Store, now: datetime) -> None:
    # "directoy" is one mistake from "directory", but its stem is two from "directori".
    _add(library, now, "dir", "Reading a directory", "Each directory entry in turn.")
    _add(library, now, "file", "Reading a file", "Read the file in blocks.")
    assert _slugs(library, "read directoy", typing=False)[0] == "dir"
    with library.read() as session:
        hits = search.search(session, query="Reed directoy")
    assert {h.respelled for h in hits} == {(("reed", "read"), ("directoy", "directory"))}
    with library.read() as session:
        assert search.search(session, query="read directory")[0].respelled == ()


def test_two_words_a_query_are_respelled_the_longest(library: Store, now: datetime) -> None:
    _add(library, now, "dir", "Reading a directory", "Each directory entry in turn.")
    _add(library, now, "file", "Reading a file", "Read the file in blocks.")
    with library.read() as session:
        # "unfortunately" (no article has it, nor a word one mistake from it) does not keep
        # "directoy" from being respelled; "reed", the shortest, is left as typed.
        hits = search.search(session, query="reed directoy unfortunately")
    assert hits[0].slug == "dir"
    assert hits[0].respelled == (("directoy", "directory"),)


def test_the_word_being_typed_is_respelled_when_no_word_starts_with_it(
    library: Store, now: datetime
) -> None:
    _add(library, now, "dir", "Reading a directory", "Each directory entry in turn.")
    _add(library, now, "file", "Reading a file", "Read the file in blocks.")
    _add(library, now, "printer", "Принтер не печатает", "Переустановите драйвер принтера.")
    assert _slugs(library, "read directoy", typing=True)[0] == "dir"
    assert _slugs(library, "драйвер принетр", typing=True)[0] == "printer"
    with library.read() as session:
        hit = search.search(session, query="read directoy", typing=True)[0]
    assert hit.title_highlights == ((0, 7), (10, 19))  # "Reading", "directory"
    assert hit.respelled == (("directoy", "directory"),)  # said beside the results
    # A word still being typed that some word starts with is left alone: "direc" is no typo.
    assert _slugs(library, "direc", typing=True) == ["dir"]
    assert _slugs(library, "fil", typing=True) == ["file"]


def test_a_respelling_is_the_one_in_most_articles(library: Store, now: datetime) -> None:
    _add(library, now, "one", "Patch notes", "A patch for the mail server.")
    _add(library, now, "two", "Patch day", "Every patch is tested first.")
    _add(library, now, "three", "Path names", "Long path names are cut.")
    # "pach" is one mistake from both "patch" (two articles) and "path" (one).
    assert set(_slugs(library, "pach", typing=False)) == {"one", "two"}


def test_a_term_the_knowledge_base_holds_is_never_respelled(library: Store, now: datetime) -> None:
    _add(library, now, "path", "Path names", "Long path names are cut.")
    _add(library, now, "patch", "Patch notes", "A patch for the server.")
    _add(library, now, "patch2", "Patch day", "Every patch is tested.")
    assert _slugs(library, "path", typing=False) == ["path"]
