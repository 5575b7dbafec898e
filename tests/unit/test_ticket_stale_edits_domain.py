"""Stale edits of articles and catalogue items are refused (domain/versions.py), on the fake unit
of work; the same over gRPC and PostgreSQL in tests/integration/test_ticket_stale_edits.py."""

from __future__ import annotations

import dataclasses

import pytest
from fake_ticket_uow import FakeUnitOfWork, caller

from govkit.errors import FailedPrecondition
from ticket.domain.commands import CreateArticle, ReviseArticle, UpsertCatalogueItem
from ticket.domain.versions import expect_version
from ticket.handlers import catalogue, knowledge


def test_expect_version_names_the_field_and_the_current_version():
    expect_version("x", 0, 7)  # 0: the caller does not check
    expect_version("x", 7, 7)
    with pytest.raises(FailedPrecondition) as err:
        expect_version("the article", 3, 4)
    assert [(v.field, v.reason) for v in err.value.violations] == [
        ("expected_version", "is 3 but the current version is 4")]
    with pytest.raises(FailedPrecondition) as err:
        expect_version("item", 2, None)
    assert "does not exist" in err.value.violations[0].reason


def test_a_stale_article_revision_changes_nothing():
    uow, me = FakeUnitOfWork(), caller()
    a = knowledge.create_article(CreateArticle("标题", "正文"), uow, me)
    knowledge.revise_article(ReviseArticle(a.id, body="第二版", expected_version=1), uow, me)
    with pytest.raises(FailedPrecondition):
        knowledge.revise_article(ReviseArticle(a.id, body="旧版上的修改", expected_version=1,
                                               links=(("infra.host.printer",), None)), uow, me)
    stored = uow.state.articles[a.id]
    assert (stored.body, stored.version, stored.catalogue_item_ids) == ("第二版", 2, [])


def test_a_catalogue_item_counts_its_saves_and_refuses_a_stale_one():
    uow, me = FakeUnitOfWork(), caller()
    item = dataclasses.replace(uow.state.catalogue["infra.host.printer"], description="甲")
    assert catalogue.upsert_catalogue_item(UpsertCatalogueItem(item, 1), uow, me).version == 2
    with pytest.raises(FailedPrecondition):
        catalogue.upsert_catalogue_item(UpsertCatalogueItem(dataclasses.replace(item, description="乙"), 1), uow, me)
    assert uow.state.catalogue["infra.host.printer"].description == "甲"
