"""Guardrails as concepts: forbidden content found in Spanish and English, on every path."""

from generation.guardrails.core import (
    GUIDELINE,
    LABELS,
    PERSON_NAMES,
    RATES,
    Lists,
    Removal,
    Scrubbed,
    default_lists,
    find,
    scrub,
    scrub_names,
    trim,
)

__all__ = [
    "GUIDELINE",
    "LABELS",
    "PERSON_NAMES",
    "RATES",
    "Lists",
    "Removal",
    "Scrubbed",
    "default_lists",
    "find",
    "scrub",
    "scrub_names",
    "trim",
]
