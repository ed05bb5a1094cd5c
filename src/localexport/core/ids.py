"""Identifiers: AWS-looking random ids from an injectable source."""

from __future__ import annotations

import random
import secrets
import string
import uuid

_ALPHABET = string.ascii_uppercase + string.digits


class Ids:
    """Random by default; seeded for deterministic tests."""

    def __init__(self, seed: int | None = None):
        self._random = random.Random(seed) if seed is not None else secrets.SystemRandom()

    def short(self, length: int = 10) -> str:
        return "".join(self._random.choice(_ALPHABET) for _ in range(length))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
