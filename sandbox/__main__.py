"""`python -m sandbox serve`: run the Graph API sandbox until SIGTERM or SIGINT.

The base URL is printed and, with --url-file, written atomically once the server listens, so a
parent process can wait for the file instead of guessing a port."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from sandbox.server import DEFAULT_TOKEN, SandboxServer
from sandbox.world import SandboxWorld


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="answer the Graph API for the sandbox world")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--url-file", type=Path, help="write the base URL here once listening")
    serve.add_argument("--now", type=_aware, help="fix the server's clock (ISO 8601; UTC if no offset)")
    serve.add_argument("--throttle-every", type=int, default=0, help="throttle every Nth call")
    serve.add_argument("--regain-minutes", type=int, default=0)
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--scale", type=float, default=1.0, help="multiplies posts per day and audiences")
    serve.add_argument("--token", action="append", help=f"a valid access token (default {DEFAULT_TOKEN})")
    return parser


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def serve(args: argparse.Namespace) -> None:
    server = SandboxServer(
        world=SandboxWorld(seed=args.seed, scale=args.scale),
        host=args.host,
        port=args.port,
        now=args.now,
        throttle_every=args.throttle_every,
        valid_tokens=args.token or (DEFAULT_TOKEN,),
        regain_minutes=args.regain_minutes,
    )
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server.start()
    try:
        if args.url_file is not None:
            _write_atomically(args.url_file, server.url + "\n")
        print(server.url, flush=True)
        stopping.wait()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
