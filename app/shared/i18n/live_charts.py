"""Strings of live_charts (see the module list in app/shared/i18n/__init__.py)."""

STRINGS: dict[str, tuple[str, str]] = {}
