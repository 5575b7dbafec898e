"""`govops-bootstrap-admin`: the first administrator of a fresh deployment (one-shot, idempotent).

Run once after `govops-migrate org` (a compose one-shot service, a Kubernetes Job). It writes
straight to org's database, so it needs neither a token nor the signing key. Settings:

  GOVOPS_ADMIN_PASSWORD_FILE  file holding the password (a mounted secret; trailing newline ignored)
  GOVOPS_ADMIN_PASSWORD       the password itself, when no file is given (avoid: it shows in `env`)
  GOVOPS_ADMIN_USERNAME       default `admin`
  GOVOPS_ADMIN_DISPLAY_NAME   default 系统管理员
  GOVOPS_ROOT_UNIT_ID         org unit the admin's `system_admin` covers (with its subtree), created
                              as a root government unit when missing; default `gov`
  GOVOPS_ROOT_UNIT_NAME       its name when created; default 本级人民政府

Exit 0 when the admin was created or already existed (a second run changes nothing, not even the
password, and says so); 2 for a missing or invalid setting; 1 when org's database is not ready.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from govkit import config as govconfig
from govkit import logs
from govkit.db import make_engine
from govkit.errors import DomainError, InvalidArgument

from . import handlers
from .adapters.security import Security
from .adapters.uow import OrgUnitOfWork
from .domain import commands as c

DEFAULTS = {"GOVOPS_ADMIN_USERNAME": "admin", "GOVOPS_ADMIN_DISPLAY_NAME": "系统管理员",
            "GOVOPS_ROOT_UNIT_ID": "gov", "GOVOPS_ROOT_UNIT_NAME": "本级人民政府"}


class SettingError(Exception):
    pass


def _setting(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def read_password(environ=os.environ) -> str:
    path = environ.get("GOVOPS_ADMIN_PASSWORD_FILE")
    if path:
        try:
            password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as err:
            raise SettingError(f"GOVOPS_ADMIN_PASSWORD_FILE={path}: {err.strerror or err}") from None
        if not password:
            raise SettingError(f"GOVOPS_ADMIN_PASSWORD_FILE={path} is empty")
        return password
    if environ.get("GOVOPS_ADMIN_PASSWORD"):
        return environ["GOVOPS_ADMIN_PASSWORD"]
    raise SettingError("no admin password: set GOVOPS_ADMIN_PASSWORD_FILE to a file holding it "
                       "(a mounted secret) or GOVOPS_ADMIN_PASSWORD")


def main() -> None:
    settings = govconfig.load("org")
    logs.configure("org", "bootstrap", settings.log_level)
    username = _setting("GOVOPS_ADMIN_USERNAME")
    try:
        cmd = c.BootstrapAdmin(username, read_password(), _setting("GOVOPS_ADMIN_DISPLAY_NAME"),
                               _setting("GOVOPS_ROOT_UNIT_ID"), _setting("GOVOPS_ROOT_UNIT_NAME"))
    except SettingError as err:
        sys.exit(_fail(2, str(err)))
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        created = handlers.bootstrap_admin(cmd, OrgUnitOfWork(engine), Security(None))
    except InvalidArgument as err:
        sys.exit(_fail(2, f"invalid admin settings: {err}"))
    except DomainError as err:
        sys.exit(_fail(1, str(err)))
    except Exception as err:  # database unreachable or not migrated: the Job/one-shot retries
        sys.exit(_fail(1, f"org database {settings.database_name} not ready ({type(err).__name__}: {err}); "
                          "run `govops-migrate org` first"))
    finally:
        engine.dispose()
    if created:
        print(f"created administrator {username!r}: role system_admin on org unit "
              f"{cmd.root_unit_id!r} and its subtree")
    else:
        print(f"administrator {username!r} already exists; nothing to do (its password is unchanged)")


def _fail(code: int, message: str) -> int:
    print(f"govops-bootstrap-admin: {message}", file=sys.stderr)
    return code
