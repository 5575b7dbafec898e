"""Reference data kept current by `govops-migrate org`: the built-in roles."""

from govkit.db import make_engine

from . import handlers
from .adapters.uow import OrgUnitOfWork


def after_migrate(settings) -> None:
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        handlers.install_default_roles(OrgUnitOfWork(engine))
    finally:
        engine.dispose()
