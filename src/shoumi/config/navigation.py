"""The navigation frame and dashboard panels that apps plug into.

Each app registers its menu entries and its pending-item counters in its
``AppConfig.ready()``. The shell shows an entry only when its ``is_visible``
callable accepts the user, so an app hides what a role may not open; the
view behind the entry still enforces access on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

StrOrPromise = str | Promise

VisibilityCheck = Callable[[Any], bool]


def _always(_user: Any) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class NavItem:
    """One entry of the main menu."""

    label: StrOrPromise
    url_name: str
    order: int = 100
    is_visible: VisibilityCheck = _always

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True, slots=True)
class PendingItem:
    """One line of the dashboard's "waiting for you" panel."""

    label: StrOrPromise
    count: int
    url: str


PendingProvider = Callable[[Any], list[PendingItem]]


@dataclass
class _Registry:
    nav_items: list[NavItem] = field(default_factory=list)
    pending_providers: list[PendingProvider] = field(default_factory=list)


_registry = _Registry()


def register_nav_item(item: NavItem) -> None:
    """Add a menu entry; registering the same URL name twice keeps the first."""
    if any(existing.url_name == item.url_name for existing in _registry.nav_items):
        return
    _registry.nav_items.append(item)
    _registry.nav_items.sort(key=lambda entry: entry.order)


def register_pending_provider(provider: PendingProvider) -> None:
    """Add a callable that returns the pending items a user must act on."""
    if provider not in _registry.pending_providers:
        _registry.pending_providers.append(provider)


def nav_items_for(user: Any) -> list[NavItem]:
    """Return the menu entries visible to ``user``, in menu order."""
    return [item for item in _registry.nav_items if item.is_visible(user)]


def pending_items_for(user: Any) -> list[PendingItem]:
    """Return every pending item with a non-zero count for ``user``."""
    items: list[PendingItem] = []
    for provider in _registry.pending_providers:
        items.extend(item for item in provider(user) if item.count > 0)
    return items
