"""Resource tags, kept as one ``{key: value}`` dict whatever list form a service's wire uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class TooManyTags(ValueError):
    """The resource would carry more tags than the service's quota."""

    def __init__(self, limit: int):
        super().__init__(f"A resource can have at most {limit} tags.")
        self.limit = limit


def merge(current: Mapping[str, str] | None, added: Mapping[str, str], limit: int) -> dict[str, str]:
    """``current`` with ``added`` set (same key: the new value wins); TooManyTags past ``limit``."""
    merged = {**(current or {}), **added}
    if len(merged) > limit:
        raise TooManyTags(limit)
    return merged


def remove(current: Mapping[str, str] | None, keys: Iterable[str]) -> dict[str, str]:
    gone = set(keys)
    return {k: v for k, v in (current or {}).items() if k not in gone}


def from_pairs(items: Iterable[Mapping[str, str]] | None, key: str, value: str) -> dict[str, str]:
    """A wire list (``[{"Key": k, "Value": v}]`` and the like) as a dict."""
    return {item[key]: item[value] for item in items or ()}


def to_pairs(tags: Mapping[str, str] | None, key: str, value: str) -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in (tags or {}).items()]
