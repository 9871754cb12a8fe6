"""Which platform sandboxes exist, and how to build each one.

A platform module registers itself when imported, with one call at module level:

    register("x", make_x_sandbox)

where the factory is called as `factory(world_seed, scale, now, **options)` and returns an
unstarted `LoopbackServer`. `options` carries the fault schedules every platform understands
(`throttle_every`, `transient_every`, `server_error_every`, `malformed_every`: every Nth call,
0 = off; `paging_loop`: every page after the first links back to itself, set here for every
platform) and platform-specific knobs (e.g. Graph's `regain_minutes`, `valid_tokens`); a factory
ignores the names it does not know, so one command line can drive every platform.

`python -m sandbox serve` imports every module in PLATFORM_MODULES before starting servers: add a
platform module's name there."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sandbox.base import LoopbackServer

PLATFORM_MODULES: tuple[str, ...] = (
    "sandbox.server",
    "sandbox.x",
    "sandbox.youtube",
    "sandbox.linkedin",
    "sandbox.meta_ads",
    "sandbox.ga4",
)

Factory = Callable[..., LoopbackServer]

_factories: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make platform `name` available; two different modules claiming one name is an error."""
    existing = _factories.get(name)
    # Compared by qualified name so that re-importing the same module is harmless.
    if existing is not None and _qualname(existing) != _qualname(factory):
        raise ValueError(f"platform {name!r} is already registered by {_qualname(existing)}")
    _factories[name] = factory


def discover(modules: Iterable[str] = PLATFORM_MODULES) -> None:
    for module in modules:
        importlib.import_module(module)


def platforms() -> dict[str, Factory]:
    """Every registered platform, by name (sorted), after importing the platform modules."""
    discover()
    return dict(sorted(_factories.items()))


def create(
    name: str, world_seed: int = 42, scale: float = 1.0, now: datetime | None = None, **options: Any
) -> LoopbackServer:
    """An unstarted sandbox for platform `name`."""
    known = platforms()
    if name not in known:
        raise KeyError(f"unknown sandbox platform {name!r}; known: {', '.join(known)}")
    server = known[name](world_seed, scale, now, **options)
    server.paging_loop = bool(options.get("paging_loop", False))
    return server


def _qualname(factory: Factory) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"
