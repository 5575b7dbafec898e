#!/usr/bin/env python3
"""The local mailbox of `make run`: an SMTP server (aiosmtpd) that accepts every message and keeps
it as a .eml file in a directory, printing one line per mail (recipient and decoded subject), so a
newcomer can read what notify sends. Development only: it accepts mail for anyone, unauthenticated.

    .venv/bin/python scripts/mailbox.py --port 2525 --dir .govops/mailbox
"""

from __future__ import annotations

import argparse
import email
import email.policy
import time
from datetime import datetime
from pathlib import Path


class Keep:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.directory / f"{stamp}.eml"
        path.write_bytes(raw)
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']}  ({path})", flush=True)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=2525, help="SMTP port")
    parser.add_argument("--dir", type=Path, default=Path(".govops/mailbox"), help="where the .eml files go")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    from aiosmtpd.controller import Controller

    controller = Controller(Keep(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mailbox: SMTP on {args.host}:{args.port}, mails kept in {args.dir}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
