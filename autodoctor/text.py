"""Text no column can store: a NUL byte (PostgreSQL refuses it) or a lone surrogate (not UTF-8)."""

from typing import Any


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_text_at(data: Any, path: str = "") -> str | None:
    """The dotted path of the first unstorable string in decoded JSON (keys included), or None."""
    if isinstance(data, str):
        return None if is_storable(data) else path
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not is_storable(key):
                return path or "a field name"
            found = unstorable_text_at(value, inner)
            if found is not None:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = unstorable_text_at(value, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
