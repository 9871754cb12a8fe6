"""Which platform sandboxes exist, and how to build each one.

A platform module registers itself when imported, with one call at module level:

    register("x", make_x_sandbox, "reset_seconds", "valid_tokens")

where the factory is called as `factory(world_seed, scale, now, **options)` and returns an
unstarted `PlatformSandbox`. `options` carries the fault schedule every platform understands
(`SCHEDULE_OPTIONS`, sandbox/faults.py: every Nth call, 0 = off) and the platform's own knobs it
was registered with (e.g. Graph's `regain_minutes`, `valid_tokens`); any other option is left out,
so one command line can drive every platform. `paging_loop` (every page after the first links back
to itself) is set here for every platform.

`python -m sandbox serve` imports every module in PLATFORM_MODULES before starting servers: add a
platform module's name there."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sandbox.base import PlatformSandbox
from sandbox.faults import SCHEDULE_OPTIONS

PLATFORM_MODULES: tuple[str, ...] = (
    "sandbox.facebook",
    "sandbox.x",
    "sandbox.youtube",
    "sandbox.linkedin",
    "sandbox.meta_ads",
    "sandbox.ga4",
)

Factory = Callable[..., PlatformSandbox]

_factories: dict[str, Factory] = {}
_options: dict[str, frozenset[str]] = {}


def register(name: str, factory: Factory, *options: str) -> None:
    """Make platform `name` available, built by `factory` with the scheduled faults and `options`;
    two different modules claiming one name is an error."""
    existing = _factories.get(name)
    # Compared by qualified name so that re-importing the same module is harmless.
    if existing is not None and _qualname(existing) != _qualname(factory):
        raise ValueError(f"platform {name!r} is already registered by {_qualname(existing)}")
    _factories[name] = factory
    _options[name] = frozenset(SCHEDULE_OPTIONS).union(options)


def discover(modules: Iterable[str] = PLATFORM_MODULES) -> None:
    for module in modules:
        importlib.import_module(module)


def platforms() -> dict[str, Factory]:
    """Every registered platform, by name (sorted), after importing the platform modules."""
    discover()
    return dict(sorted(_factories.items()))


def create(
    name: str, world_seed: int = 42, scale: float = 1.0, now: datetime | None = None, **options: Any
) -> PlatformSandbox:
    """An unstarted sandbox for platform `name`."""
    known = platforms()
    if name not in known:
        raise KeyError(f"unknown sandbox platform {name!r}; known: {', '.join(known)}")
    understood = {key: value for key, value in options.items() if key in _options[name]}
    server = known[name](world_seed, scale, now, **understood)
    server.paging_loop = bool(options.get("paging_loop", False))
    return server


def _qualname(factory: Factory) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"
