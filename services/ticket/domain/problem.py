"""Problems (问题): linked incidents, root cause, workaround and the known-error article.

Plain Python: no transport, no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

from govkit.errors import Validator


@dataclass
class Problem:
    root_cause: str | None = None
    workaround: str | None = None
    linked_incident_count: int = 0
    kb_article_id: str | None = None

    def record(self, root_cause: str | None, workaround: str | None) -> None:
        """Record what is given (None leaves a field as it was)."""
        if root_cause is not None:
            self.root_cause = root_cause.strip()
        if workaround is not None:
            self.workaround = workaround.strip()

    def known_error_article(self, problem_title: str) -> tuple[str, str]:
        """Title and body of the known-error article; both root cause and workaround are needed."""
        v = Validator()
        v.text("root_cause", self.root_cause or "")
        v.text("workaround", self.workaround or "")
        v.check()
        return f"已知错误：{problem_title}", f"根本原因：{self.root_cause}\n临时解决办法：{self.workaround}"
