"""`govops budget` gathers a list a method pages (GetExecution's expenses, GetAsset's history)
into one reply: the pages' items in order, the rest of the reply from the first page."""

from __future__ import annotations

from govkit.protoconv import encode_page_token
from govops.budget.v1 import budget_pb2 as pb


def test_whole_reply_gathers_every_page_of_the_paged_list(monkeypatch):
    from budget import cli

    pages = {"": (["e1", "e2"], encode_page_token(2)), encode_page_token(2): (["e3"], "")}
    seen = []

    def call(method, request):
        seen.append((method, request.page.page_token))
        ids, token = pages[request.page.page_token]
        reply = pb.GetExecutionResponse(execution_rate="12.50", expenses=[pb.Expense(id=i) for i in ids])
        reply.page.next_page_token = token
        return reply

    monkeypatch.setattr(cli, "_call", call)
    x = cli._whole("GetExecution", pb.GetExecutionRequest(budget_id="b1"), "expenses")
    assert [e.id for e in x.expenses] == ["e1", "e2", "e3"] and x.execution_rate == "12.50"
    assert not x.page.next_page_token
    assert seen == [("GetExecution", ""), ("GetExecution", encode_page_token(2))]
