"""QuickSight ARNs: ``arn:aws:quicksight:{region}:{account}:{type}/{rest}``, made and read in one place."""

from __future__ import annotations

from typing import NamedTuple

PREFIX = "arn:aws:quicksight:"


class Arn(NamedTuple):
    region: str
    account: str
    type: str  # dashboard, user, template, ...
    rest: str  # the id, or the key (``{namespace}/{name}``, ``{dataSetId}/refresh-schedule/{id}``, ...)


def make(region: str, account: str, kind: str, rest: str) -> str:
    return f"{PREFIX}{region}:{account}:{kind}/{rest}"


def parse(value: str) -> Arn | None:
    """The parts of a QuickSight ARN; None for anything else."""
    if not value.startswith(PREFIX):
        return None
    parts = value[len(PREFIX):].split(":", 2)
    if len(parts) != 3:
        return None
    region, account, resource = parts
    kind, _, rest = resource.partition("/")
    if not (account.isdigit() and len(account) == 12 and kind and rest):
        return None
    return Arn(region, account, kind, rest)
