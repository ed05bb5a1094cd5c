"""What the console lists, per service: each resource kind declared once (where the store keeps it, which
Describe operation shows it, where that answer holds its status). A new kind is one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.store import Doc, Scope, Store

Owner = Callable[[Store, Scope, Doc], str]


def _no_owner(store: Store, scope: Scope, doc: Doc) -> str:
    return ""


@dataclass(frozen=True)
class Kind:
    service: str  # the botocore service name, as in the store's scope
    label: str  # the heading of its table
    stored: str  # the document kind in the store
    describe: str  # the operation whose answer is "its JSON"
    params: Callable[[Scope, Doc], dict[str, Any]]  # that operation's input for one document
    status: tuple[str, ...] = ()  # where in the answer its status is (none: no status)
    owner: Owner = _no_owner  # what it belongs to (its bot, its dataset group)
    name: Callable[[Doc], str] = lambda doc: doc.name or doc.key
    detail: Callable[[Doc], str] = lambda doc: ""  # what the list shows beside it (a record count)

    @property
    def slug(self) -> str:
        return f"{self.service}.{self.stored}"


def status_of(kind: Kind, answer: dict[str, Any]) -> str | None:
    value: Any = answer
    for step in kind.status:
        value = value.get(step) if isinstance(value, dict) else None
    return None if value is None else str(value)


# -- Lex V2: keys are the parents' ids and the resource's own (BOTID/1/en_US), aliases under BOTID/aliases/

def _lex_bot(store: Store, scope: Scope, doc: Doc) -> str:
    bot_id = doc.key.split("/", 1)[0]
    bot = store.get(scope, "bot", bot_id)
    return f"{bot.name} ({bot_id})" if bot else bot_id


def _parts(doc: Doc) -> list[str]:
    return doc.key.split("/")


LEXV2 = "lexv2-models"
_lexv2 = [
    Kind(LEXV2, "Bots", "bot", "DescribeBot", lambda s, d: {"botId": d.key}, ("botStatus",)),
    Kind(LEXV2, "Bot versions", "bot_version", "DescribeBotVersion",
         lambda s, d: {"botId": _parts(d)[0], "botVersion": _parts(d)[1]}, ("botStatus",), _lex_bot),
    Kind(LEXV2, "Bot locales", "bot_locale", "DescribeBotLocale",
         lambda s, d: dict(zip(("botId", "botVersion", "localeId"), _parts(d), strict=True)), ("botLocaleStatus",),
         _lex_bot, name=lambda d: f"{_parts(d)[2]} of {_parts(d)[1]}"),
    Kind(LEXV2, "Bot aliases", "bot_alias", "DescribeBotAlias",
         lambda s, d: {"botId": _parts(d)[0], "botAliasId": _parts(d)[2]}, ("botAliasStatus",), _lex_bot),
]

# -- Lex V1: keys are name/version ($LATEST and numbers), aliases bot/alias

LEXV1 = "lex-models"


def _v1_name(doc: Doc) -> str:
    name, version = doc.key.rsplit("/", 1)
    return f"{name} {version}"


_lexv1 = [
    Kind(LEXV1, "Bots", "bot", "GetBot", lambda s, d: dict(zip(("name", "versionOrAlias"), d.key.rsplit("/", 1),
                                                                  strict=True)), ("status",), name=_v1_name),
    Kind(LEXV1, "Bot aliases", "bot_alias", "GetBotAlias",
         lambda s, d: dict(zip(("botName", "name"), d.key.split("/", 1), strict=True)),
         owner=lambda store, scope, d: d.key.split("/", 1)[0]),
    Kind(LEXV1, "Intents", "intent", "GetIntent",
         lambda s, d: dict(zip(("name", "version"), d.key.rsplit("/", 1), strict=True)), name=_v1_name),
    Kind(LEXV1, "Slot types", "slot_type", "GetSlotType",
         lambda s, d: dict(zip(("name", "version"), d.key.rsplit("/", 1), strict=True)), name=_v1_name),
]

# -- Personalize: a document's key is the resource part of its ARN


def _arn(scope: Scope, doc: Doc) -> str:
    return f"arn:aws:personalize:{scope.region}:{scope.account}:{doc.key}"


def _records(doc: Doc) -> str:
    """The rows its imports made live (records sent by PutEvents/PutItems/PutUsers are not counted here)."""
    bulk = doc.body.get("_bulk") or []
    rows = sum(int(segment.get("rows") or 0) for segment in bulk)
    return f"{rows} imported record{'s' if rows != 1 else ''}"


PERSONALIZE = "personalize"
_personalize = [
    Kind(PERSONALIZE, "Dataset groups", "dataset_group", "DescribeDatasetGroup",
         lambda s, d: {"datasetGroupArn": _arn(s, d)}, ("datasetGroup", "status")),
    Kind(PERSONALIZE, "Datasets", "dataset", "DescribeDataset", lambda s, d: {"datasetArn": _arn(s, d)},
         ("dataset", "status"), lambda store, scope, d: (d.parent or "").removeprefix("dataset-group/"),
         detail=_records),
    Kind(PERSONALIZE, "Schemas", "schema", "DescribeSchema", lambda s, d: {"schemaArn": _arn(s, d)}),
    Kind(PERSONALIZE, "Event trackers", "event_tracker", "DescribeEventTracker",
         lambda s, d: {"eventTrackerArn": _arn(s, d)}, ("eventTracker", "status")),
]

# -- QuickSight: one kind per asset type, keyed by its id (a refresh schedule by DATASET/SCHEDULE)

QUICKSIGHT = "quicksight"


def _asset(type_name: str, label: str, *status: str) -> Kind:
    return Kind(QUICKSIGHT, label, type_name, f"Describe{type_name}",
                lambda s, d: {"AwsAccountId": s.account, f"{type_name}Id": d.key}, (type_name, *status))


_quicksight = [
    _asset("DataSource", "Data sources", "Status"),
    _asset("DataSet", "Data sets"),
    _asset("Analysis", "Analyses", "Status"),
    _asset("Dashboard", "Dashboards", "Version", "Status"),
    _asset("Template", "Templates", "Version", "Status"),
    _asset("Theme", "Themes", "Version", "Status"),
    _asset("Folder", "Folders"),
    _asset("VPCConnection", "VPC connections", "Status"),
    Kind(QUICKSIGHT, "Refresh schedules", "RefreshSchedule", "DescribeRefreshSchedule",
         lambda s, d: dict(zip(("DataSetId", "ScheduleId"), d.key.split("/", 1), strict=True), AwsAccountId=s.account),
         owner=lambda store, scope, d: d.key.split("/", 1)[0], name=lambda d: d.key.split("/", 1)[1]),
    Kind(QUICKSIGHT, "Users", "user", "DescribeUser",
         lambda s, d: dict(zip(("Namespace", "UserName"), d.key.split("/", 1), strict=True), AwsAccountId=s.account),
         ("User", "Active"), owner=lambda store, scope, d: d.parent or ""),
]

KINDS: tuple[Kind, ...] = (*_lexv2, *_lexv1, *_personalize, *_quicksight)
BY_SLUG = {kind.slug: kind for kind in KINDS}
SERVICE_LABELS = {LEXV2: "Lex V2", LEXV1: "Lex V1", PERSONALIZE: "Personalize", QUICKSIGHT: "QuickSight",
                  "personalize-events": "Personalize events"}


def of_service(service: str) -> list[Kind]:
    return [kind for kind in KINDS if kind.service == service]
