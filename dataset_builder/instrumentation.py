"""Instrumentation roles of loops: the drum/bass detector behind "selected" negatives."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("drum", "bass", "other")
