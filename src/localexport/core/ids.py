"""Identifiers: AWS-looking random ids from an injectable source."""

from __future__ import annotations

import random
import secrets
import string
import uuid

from . import inline

_ALPHABET = string.ascii_uppercase + string.digits


class Ids:
    """Random by default; seeded for deterministic tests."""

    def __init__(self, seed: int | None = None):
        self._random = random.Random(seed) if seed is not None else secrets.SystemRandom()
        self._seeded = seed is not None

    def short(self, length: int = 10) -> str:
        if self._seeded:  # a draw moves the sequence: not in a call that may be run again
            inline.check()
        return "".join(self._random.choice(_ALPHABET) for _ in range(length))

    def uuid(self) -> str:
        if self._seeded:
            inline.check()
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
