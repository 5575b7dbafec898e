"""The knowledge base (知识库): versioned articles, draft → published → archived, and the
tokens used for Chinese full-text search (character bigrams of CJK runs, words otherwise)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from govkit.errors import FailedPrecondition, Validator

_TRANSITIONS = {"draft": {"publish": "published", "archive": "archived"},
                "published": {"archive": "archived"},
                "archived": {"publish": "published"}}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[A-Za-z0-9]+")


def search_tokens(text: str) -> list[str]:
    """Tokens for search: every CJK run becomes its character bigrams (a single character stays
    itself), other text its lower-cased words. 打印机无法连接 → 打印 印机 机无 无法 法连 连接."""
    out: list[str] = []
    for run in _CJK.findall(text or ""):
        out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    out.extend(w.lower() for w in _WORD.findall(text or ""))
    return out


@dataclass
class Article:
    id: str
    title: str
    body: str
    status: str = "draft"
    version: int = 1
    catalogue_item_ids: list[str] = field(default_factory=list)
    problem_id: str | None = None
    author: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    score: float = 0.0

    @staticmethod
    def check(title: str, body: str) -> tuple[str, str]:
        v = Validator()
        title = v.text("title", title, max_len=200)
        body = v.text("body", body, max_len=50000)
        v.check()
        return title, body

    def act(self, action: str, now: datetime) -> None:
        nxt = _TRANSITIONS.get(self.status, {}).get(action)
        if nxt is None:
            raise FailedPrecondition(f"cannot {action} an article in status {self.status}")
        self.status, self.updated_at = nxt, now

    def revise(self, title: str, body: str, now: datetime) -> None:
        if self.status == "archived":
            raise FailedPrecondition("cannot revise an article in status archived")
        self.title, self.body = self.check(title, body)
        self.version += 1
        self.updated_at = now
