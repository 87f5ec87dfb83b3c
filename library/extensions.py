"""Sections that apps above the library add to its pages, without the library importing them.

The brief workflow (generation) reads the library, never the reverse. Two library pages still
show brief things: the board page offers "pin on one of my briefs", and the creative page lists
the briefs that used the image. The generation app registers a context provider for each page
in its AppConfig.ready(); the library's views merge what the providers return into the page's
context. With no provider registered (the library alone), those sections are simply absent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

# page name -> providers; each takes the request and the page's object, returns context entries
ContextProvider = Callable[[HttpRequest, Any], dict[str, Any]]
_providers: dict[str, list[ContextProvider]] = defaultdict(list)

BOARD_DETAIL = "board_detail"
CREATIVE_DETAIL = "creative_detail"


def page_context_add(page: str, provider: ContextProvider) -> None:
    """Register a provider once (registering the same function again changes nothing)."""
    if provider not in _providers[page]:
        _providers[page].append(provider)


def page_context(page: str, request: HttpRequest, obj: Any) -> dict[str, Any]:
    """What every registered provider adds to this page, in registration order."""
    context: dict[str, Any] = {}
    for provider in _providers[page]:
        context.update(provider(request, obj))
    return context
