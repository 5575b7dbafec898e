"""Stale edits are refused (issue 14, item 6): a knowledge article or a catalogue item saved with
the version its editor read is refused once someone else has saved a newer one — FAILED_PRECONDITION
naming `expected_version` and the current version, nothing written. Plus the list RPCs the
administration pages need (ListArticles, ListSlaPolicies) and article links edited after creation.
Real gRPC server and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format

from govkit.grpc_server import iter_bad_request
from govops.common.v1.common_pb2 import PageRequest
from govops.ticket.v1 import ticket_pb2 as pb
from tests.integration.test_ticket_platform import platform, stub  # noqa: F401  (fixture)


def _refused(call) -> dict[str, str]:
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION, err.value.details()
    return dict(iter_bad_request(err.value))


def test_a_stale_article_revision_is_refused_naming_the_current_version(platform, admin_token):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    a = s.CreateArticle(pb.CreateArticleRequest(title="VPN 无法登录", body="重置令牌。"), timeout=5).article
    assert a.version == 1
    # Two writers opened version 1; the first saves, the second's save is refused.
    first = s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, body="重置令牌并清除缓存。", expected_version=1),
                            timeout=5).article
    assert first.version == 2
    violations = _refused(lambda: s.ReviseArticle(
        pb.ReviseArticleRequest(id=a.id, body="另一人的修改。", expected_version=1), timeout=5))
    assert "expected_version" in violations and "2" in violations["expected_version"]
    got = s.GetArticle(pb.GetArticleRequest(id=a.id), timeout=5)
    assert got.article.body == "重置令牌并清除缓存。" and len(got.versions) == 2
    # A status change with a stale version is refused too; with the current one it passes.
    _refused(lambda: s.ReviseArticle(pb.ReviseArticleRequest(
        id=a.id, action=pb.ARTICLE_ACTION_PUBLISH, expected_version=1), timeout=5))
    pub = s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, action=pb.ARTICLE_ACTION_PUBLISH, expected_version=2),
                          timeout=5).article
    assert pub.status == pb.ARTICLE_STATUS_PUBLISHED
    # Without expected_version (older callers) nothing is checked.
    assert s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, body="第三版。"), timeout=5).article.version == 3


def test_article_links_are_replaced_on_revision_and_checked(platform, admin_token):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    a = s.CreateArticle(pb.CreateArticleRequest(title="打印机卡纸", body="打开后盖取出纸张。"), timeout=5).article
    linked = s.ReviseArticle(pb.ReviseArticleRequest(
        id=a.id, update_links=True, catalogue_item_ids=["infra.host.printer"], expected_version=1), timeout=5).article
    assert list(linked.catalogue_item_ids) == ["infra.host.printer"] and linked.version == 1
    with pytest.raises(grpc.RpcError) as err:
        s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, update_links=True, catalogue_item_ids=["no.such.item"]),
                        timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    cleared = s.ReviseArticle(pb.ReviseArticleRequest(id=a.id, update_links=True), timeout=5).article
    assert list(cleared.catalogue_item_ids) == []


def test_a_stale_catalogue_item_save_is_refused_naming_the_current_version(platform, admin_token):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    items = {i.id: i for i in s.ListCatalogue(pb.ListCatalogueRequest(include_inactive=True), timeout=5).items}
    printer = items["infra.host.printer"]
    assert printer.version >= 1
    v = printer.version
    edit = pb.CatalogueItem()
    edit.CopyFrom(printer)
    edit.description = "打印机故障（管理员甲）"
    saved = s.UpsertCatalogueItem(pb.UpsertCatalogueItemRequest(item=edit, expected_version=v), timeout=5).item
    assert saved.version == v + 1
    edit.description = "打印机故障（管理员乙）"
    violations = _refused(lambda: s.UpsertCatalogueItem(
        pb.UpsertCatalogueItemRequest(item=edit, expected_version=v), timeout=5))
    assert str(v + 1) in violations["expected_version"]
    now = {i.id: i for i in s.ListCatalogue(pb.ListCatalogueRequest(include_inactive=True), timeout=5).items}
    assert now["infra.host.printer"].description == "打印机故障（管理员甲）"
    # A new item starts at version 1; an edit "of version 3" of an item that does not exist is refused.
    new = pb.CatalogueItem(id="p14k.test.item", name="测试项", category="application", active=True)
    violations = _refused(lambda: s.UpsertCatalogueItem(
        pb.UpsertCatalogueItemRequest(item=new, expected_version=3), timeout=5))
    assert "expected_version" in violations
    assert s.UpsertCatalogueItem(pb.UpsertCatalogueItemRequest(item=new), timeout=5).item.version == 1


def test_list_articles_by_status_with_pages_and_drafts_only_for_writers(platform, admin_token, signer):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    ids = [s.CreateArticle(pb.CreateArticleRequest(title=f"列表文章{i}", body="内容"), timeout=5).article.id
           for i in range(3)]
    s.ReviseArticle(pb.ReviseArticleRequest(id=ids[0], action=pb.ARTICLE_ACTION_PUBLISH), timeout=5)
    first = s.ListArticles(pb.ListArticlesRequest(page=PageRequest(page_size=2)), timeout=5)
    assert len(first.articles) == 2 and first.page.next_page_token and first.page.total_size == 3
    rest = s.ListArticles(pb.ListArticlesRequest(page=PageRequest(page_size=2, page_token=first.page.next_page_token)),
                          timeout=5)
    assert {a.id for a in [*first.articles, *rest.articles]} == set(ids)
    drafts = s.ListArticles(pb.ListArticlesRequest(statuses=[pb.ARTICLE_STATUS_DRAFT]), timeout=5).articles
    assert {a.id for a in drafts} == set(ids[1:])
    reader = signer.mint("reader", perms=["ticket.read"], scopes=[{"unit": "*"}])
    seen = stub(target, reader).ListArticles(pb.ListArticlesRequest(), timeout=5).articles
    assert [a.id for a in seen] == [ids[0]]


def test_list_sla_policies_shows_the_built_in_and_stored_ones(platform, admin_token):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    policies = {p["id"]: p for p in (json_format.MessageToDict(x) for x in
                                     s.ListSlaPolicies(pb.ListSlaPoliciesRequest(), timeout=5).policies)}
    assert {"standard", "critical-24x7"} <= set(policies)
    assert policies["standard"]["calendar_id"] == "cn"
    assert policies["standard"]["targets"]["critical"]["response"] == 900
