"""The knowledge base: articles with versions, publish/archive, and search (drafts only for
writers, `ticket.kb.write`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from govkit.auth import Principal
from govkit.errors import InvalidArgument, NotFound, Validator
from govkit.events import utcnow

from ..domain.commands import CreateArticle, GetArticle, ListArticles, ReviseArticle, SearchArticles
from ..domain.knowledge import Article
from ..domain.ports import TicketUow
from ..domain.versions import expect_version
from ._common import read


def create_article(cmd: CreateArticle, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Article:
    now = now or utcnow()
    title, body = Article.check(cmd.title, cmd.body)
    with uow:
        _check_items(uow, cmd.catalogue_item_ids)
        problem_id = read(uow, cmd.problem_id, caller).id if cmd.problem_id else None
        a = Article(id=str(uuid.uuid4()), title=title, body=body, catalogue_item_ids=list(cmd.catalogue_item_ids),
                    problem_id=problem_id, author=caller.subject, created_at=now, updated_at=now)
        uow.articles.add(a)
        uow.commit()
        return a


def _check_items(uow: TicketUow, item_ids) -> None:
    for item_id in item_ids:
        if uow.catalogue.get(item_id) is None:
            raise NotFound(f"catalogue item {item_id} not found")


def revise_article(cmd: ReviseArticle, uow: TicketUow, caller: Principal, *, now: datetime | None = None) -> Article:
    """New version (title/body), new links, and/or `publish` / `archive` — refused when the caller
    edited an older version than the stored one."""
    now = now or utcnow()
    with uow:
        a = uow.articles.get(cmd.article_id, for_update=True)
        if a is None:
            raise NotFound(f"article {cmd.article_id} not found")
        expect_version("the article", cmd.expected_version, a.version)
        if cmd.links is not None:
            item_ids, problem = cmd.links
            _check_items(uow, item_ids)
            a.catalogue_item_ids = list(dict.fromkeys(item_ids))
            a.problem_id = read(uow, problem, caller).id if problem else None
            a.updated_at = now
        new_version = bool(cmd.title or cmd.body)
        if new_version:
            a.revise(cmd.title or a.title, cmd.body or a.body, now)
            a.author = caller.subject
        if cmd.action:
            if cmd.action not in ("publish", "archive"):
                raise InvalidArgument(field="action", reason="must be publish or archive")
            a.act(cmd.action, now)
        uow.articles.save(a, new_version)
        uow.commit()
        return a


def search_articles(cmd: SearchArticles, uow: TicketUow, caller: Principal) -> list[Article]:
    v = Validator()
    query = v.text("query", cmd.query, max_len=200)
    v.check()
    statuses = ("published", "draft") if cmd.include_drafts and caller.has("ticket.kb.write") else ("published",)
    with uow:
        return uow.articles.search(query, catalogue_item_id=cmd.catalogue_item_id or None, statuses=statuses,
                                   limit=min(max(cmd.limit, 1), 50))


def list_articles(cmd: ListArticles, uow: TicketUow, caller: Principal) -> tuple[list[Article], int]:
    visible = ("draft", "published", "archived") if caller.has("ticket.kb.write") else ("published",)
    statuses = [s for s in (cmd.statuses or visible) if s in visible]
    if not statuses:
        return [], 0
    with uow:
        problem_id = read(uow, cmd.problem_id, caller).id if cmd.problem_id else None
        return uow.articles.list(statuses=statuses, catalogue_item_id=cmd.catalogue_item_id, problem_id=problem_id,
                                 offset=cmd.offset, limit=cmd.limit)


def get_article(cmd: GetArticle, uow: TicketUow, caller: Principal) -> tuple[Article, list]:
    with uow:
        a = uow.articles.get(cmd.article_id)
        if a is None or (a.status != "published" and not caller.has("ticket.kb.write")):
            raise NotFound(f"article {cmd.article_id} not found")
        return a, uow.articles.versions(a.id)
