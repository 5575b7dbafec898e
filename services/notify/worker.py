"""notify-worker: the event consumers (org directory replica and contacts; the ticket and budget
events people must hear about) and the sender loop, a managed thread of the container."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from govkit import logs
from govkit.consumers import consume
from govkit.nameko_ext import UnitOfWork, rpc, worker_settings
from govkit.orgdir import CONSUMER as ORGDIR_CONSUMER
from govkit.orgdir import OrgDirectoryConsumer
from govkit.orgdir import apply as apply_org_event

from . import handlers
from .adapters.channels import load_channels, rate_limits
from .adapters.ratelimit import RedisRateLimiter
from .adapters.store import NotifyUnitOfWork

log = logs.get_logger(__name__)


class Sender(DependencyProvider):
    """Loads the channels (invalid configuration stops the worker at start, naming the variable)
    and runs the sender loop: `handlers.send_due` until nothing is due, then waits for a wake-up
    (a consumer committed new deliveries) or the poll interval."""

    def setup(self):
        import eventlet.event
        import eventlet.greenpool
        import redis
        from sqlalchemy.engine import Engine

        from govkit.db import make_engine

        settings = worker_settings(self.container)
        self.settings = handlers.NotifySettings.from_env()
        self.channels = load_channels()
        self.limiter = RedisRateLimiter(redis.Redis.from_url(settings.redis_url), rate_limits())
        self.engine: Engine = make_engine(settings.database_url, pool_size=self.settings.concurrency + 1)
        self.pool = eventlet.greenpool.GreenPool(self.settings.concurrency)
        self._wake = eventlet.event.Event()
        self._running = False
        self._thread = None
        log.info("notify_channels_configured", channels=sorted(self.channels))

    def start(self):
        self._running = True
        self._thread = self.container.spawn_managed_thread(self.run, identifier="notify_sender")

    def run(self) -> None:
        import eventlet
        import eventlet.event

        while self._running:
            try:
                busy = handlers.send_due(lambda: NotifyUnitOfWork(self.engine), self.channels, self.limiter,
                                         self.settings, parallel=self.pool.imap)
            except Exception as exc:  # database or Redis away: log, wait, go on
                log.warning("notify_sender_round_failed", error=repr(exc)[:300])
                busy = 0
            if busy:
                eventlet.sleep(0)
                continue
            with eventlet.Timeout(self.settings.poll_seconds, False):
                self._wake.wait()
            if self._wake.ready():
                self._wake = eventlet.event.Event()

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def stop(self):
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self.engine.dispose()

    def kill(self):
        self._running = False

    def get_dependency(self, worker_ctx):
        return self


def _wake(self, env, uow) -> None:
    self.sender.wake()


class Service(OrgDirectoryConsumer):
    name = "notify"

    uow = UnitOfWork(NotifyUnitOfWork)
    sender = Sender()

    @rpc
    def sync_org_directory(self) -> dict:
        """Reload the org directory replica and the contacts from org's snapshot."""
        snapshot = self.org.snapshot()
        staff = handlers.load_snapshot(self.uow(), snapshot)
        return {"org_units": len(snapshot.get("org_units", [])), "staff": staff}

    def _plan(self, env, uow) -> None:
        handlers.plan(env, uow, self.sender.settings, set(self.sender.channels))

    # org: the directory replica, plus the contact addresses staff_created carries
    @consume("org", "staff_created", consumer=ORGDIR_CONSUMER)
    def on_staff_created(self, env, uow) -> None:
        apply_org_event(env, uow)
        handlers.save_contact(env, uow)

    @consume("org", "user_contact_changed")
    def on_user_contact_changed(self, env, uow) -> None:
        """A login user's e-mail and mobile: requesters without a staff record get mail too."""
        handlers.save_user_contact(env, uow)

    @consume("ticket", "ticket_assigned", after_commit=_wake)
    def on_ticket_assigned(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("ticket", "ticket_resolved", after_commit=_wake)
    def on_ticket_resolved(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("ticket", "ticket_status_changed", after_commit=_wake)
    def on_ticket_status_changed(self, env, uow) -> None:
        """Pending on the requester: the requester is asked for information."""
        self._plan(env, uow)

    @consume("ticket", "sla_warning", after_commit=_wake)
    def on_sla_warning(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("ticket", "sla_breached", after_commit=_wake)
    def on_sla_breached(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("ticket", "ticket_escalated", after_commit=_wake)
    def on_ticket_escalated(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("budget", "budget_exceeded", after_commit=_wake)
    def on_budget_exceeded(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("ticket", "comment_added", after_commit=_wake)
    def on_comment_added(self, env, uow) -> None:
        """Public: the requester and the assignee; internal: the assignee (never the author)."""
        self._plan(env, uow)

    @consume("ticket", "change_awaiting_approval", after_commit=_wake)
    def on_change_awaiting_approval(self, env, uow) -> None:
        """The holders of the positions whose approval is awaited now."""
        self._plan(env, uow)

    @consume("evaluation", "rectification_opened", after_commit=_wake)
    def on_rectification_opened(self, env, uow) -> None:
        """The holders of the owner position hear their rectification was assigned."""
        self._plan(env, uow)

    @consume("evaluation", "accountability_recorded", after_commit=_wake)
    def on_accountability_recorded(self, env, uow) -> None:
        """A record for an overdue rectification: its owner position's holders are told."""
        self._plan(env, uow)

    @consume("evaluation", "evaluation_published", after_commit=_wake)
    def on_evaluation_published(self, env, uow) -> None:
        self._plan(env, uow)

    @consume("outsource", "qualification_expiring", after_commit=_wake)
    def on_qualification_expiring(self, env, uow) -> None:
        self._plan(env, uow)
