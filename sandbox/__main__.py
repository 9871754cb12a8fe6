"""`python -m sandbox serve`: run the platform sandboxes until SIGTERM or SIGINT.

Every registered platform (or those named with --platforms) gets its own free loopback port, as the
real platforms live on different hosts. Once all of them listen, the mapping of platform to base URL
is printed as JSON and, with --url-file, written there atomically, so a parent process can wait for
the file instead of guessing ports: {"facebook": "http://127.0.0.1:PORT", ...}."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import registry
from sandbox.base import PlatformSandbox
from sandbox.faults import SCHEDULE_OPTIONS


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="answer the platform APIs for the sandbox world")
    serve.add_argument("--platforms", help="comma-separated platforms to serve (default: every registered one)")
    serve.add_argument("--url-file", type=Path, help="write the platform → base URL JSON here once all listen")
    serve.add_argument("--now", type=_aware, help="fix the servers' clock (ISO 8601; UTC if no offset)")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--scale", type=float, default=1.0, help="multiplies posts per day and audiences")
    for option in SCHEDULE_OPTIONS:
        fault = option.removesuffix("_every").replace("_", "-")
        serve.add_argument(f"--{fault}-every", type=int, default=0, help=f"{fault} fault on every Nth call")
    serve.add_argument("--paging-loop", action="store_true", help="every later page links back to itself")
    serve.add_argument("--regain-minutes", type=int, help="Graph: minutes to regain access after a throttle")
    serve.add_argument("--token", action="append", help="a valid access token (default: each platform's own)")
    return parser


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _chosen(raw: str | None) -> list[str]:
    known = registry.platforms()
    if raw is None:
        return list(known)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SystemExit(f"unknown platforms: {', '.join(unknown) or '(none given)'}; known: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {option: getattr(args, option) for option in SCHEDULE_OPTIONS}
    options["paging_loop"] = args.paging_loop
    if args.regain_minutes is not None:
        options["regain_minutes"] = args.regain_minutes
    if args.token:
        options["valid_tokens"] = tuple(args.token)
    return options


def serve(args: argparse.Namespace) -> None:
    names = _chosen(args.platforms)
    options = _options(args)
    servers: dict[str, PlatformSandbox] = {
        name: registry.create(name, args.seed, args.scale, args.now, **options) for name in names
    }
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        for server in servers.values():
            server.start()
        urls = json.dumps({name: server.base_url for name, server in servers.items()})
        if args.url_file is not None:
            _write_atomically(args.url_file, urls + "\n")
        print(urls, flush=True)
        stopping.wait()
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
