"""The Lex V2 test-set CSV format (test workbench), read and written from one description.

Columns (shared/spec/lexv2.md §4, AWS test-set pages): ``Line #``, ``Conversation #``,
``Source`` (User | Agent), ``Input``, ``Expected Output Intent``, then repeatable
``Expected Output Slot N`` (cells ``SlotName = value``) and ``Request Attribute N``
(``key = value``); audio sets add ``S3 Audio Location`` and ``Expected Transcription``.
Records are the API's TestSetTurnRecord.
"""

from __future__ import annotations

import csv
import io
from typing import Any

LINE, CONVERSATION, SOURCE, INPUT, INTENT = "Line #", "Conversation #", "Source", "Input", "Expected Output Intent"
AUDIO, TRANSCRIPT = "S3 Audio Location", "Expected Transcription"
SLOT, ATTRIBUTE = "Expected Output Slot", "Request Attribute"
ALIASES = {"line number": LINE, "conversation number": CONVERSATION, "conversation participant": SOURCE}
NO_CONVERSATION = {"", "-", "n/a"}


def _column(name: str) -> str:
    name = name.strip()
    return ALIASES.get(name.lower(), name)


def _pair(cell: str) -> tuple[str, str] | None:
    if "=" not in cell:
        return None
    key, _, value = cell.partition("=")
    return key.strip(), value.strip()


def read_records(data: bytes, reasons: list[str]) -> list[dict[str, Any]]:
    """Parse a test-set CSV into TestSetTurnRecords; problems go to ``reasons`` with line numbers."""
    text = data.decode("utf-8-sig", "replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        reasons.append("The test set CSV is empty.")
        return []
    header = [_column(c) for c in rows[0]]
    missing = [c for c in (SOURCE, INTENT) if c not in header]
    if INPUT not in header and AUDIO not in header:
        missing.append(INPUT)
    if missing:
        reasons.append(f"The test set CSV has no {', '.join(repr(m) for m in missing)} column.")
        return []
    records, turns = [], {}
    for index, row in enumerate(rows[1:], 1):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, row + [""] * (len(header) - len(row))))
        number = int(cells[LINE]) if cells.get(LINE, "").strip().isdigit() else index
        conversation = cells.get(CONVERSATION, "").strip()
        record: dict[str, Any] = {"recordNumber": number}
        if conversation.lower() not in NO_CONVERSATION:
            turns[conversation] = turns.get(conversation, 0) + 1
            record.update(conversationId=conversation, turnNumber=turns[conversation])
        source = cells[SOURCE].strip().lower()
        text_input = cells.get(INPUT, "").strip()
        if source == "agent":
            record["turnSpecification"] = {"agentTurn": {"agentPrompt": text_input}}
        elif source == "user":
            utterance: dict[str, Any] = {"textInput": text_input} if text_input else {}
            if cells.get(AUDIO, "").strip():
                utterance["audioInput"] = {"audioFileS3Location": cells[AUDIO].strip()}
            if not utterance:
                reasons.append(f"Line {number}: a User turn needs an Input.")
            slots = {}
            attributes = {}
            for column, cell in zip(header, row):
                pair = _pair(cell) if cell.strip() else None
                if column.startswith(SLOT) and cell.strip():
                    if pair is None:
                        reasons.append(f"Line {number}: {column} must read 'SlotName = value', not {cell!r}.")
                    else:
                        slots[pair[0]] = {"value": pair[1]}
                elif column.startswith(ATTRIBUTE) and pair:
                    attributes[pair[0]] = pair[1]
            expected: dict[str, Any] = {"intent": {"name": cells[INTENT].strip(), **({"slots": slots} if slots else {})}}
            if cells.get(TRANSCRIPT, "").strip():
                expected["transcript"] = cells[TRANSCRIPT].strip()
            turn_input: dict[str, Any] = {"utteranceInput": utterance}
            if attributes:
                turn_input["requestAttributes"] = attributes
            record["turnSpecification"] = {"userTurn": {"input": turn_input, "expected": expected}}
        else:
            reasons.append(f"Line {number}: Source must be User or Agent, not {cells[SOURCE]!r}.")
            continue
        records.append(record)
    if not records and not reasons:
        reasons.append("The test set CSV has no turns.")
    return records


def write_records(records: list[dict[str, Any]]) -> bytes:
    slot_count = max((len(((r["turnSpecification"].get("userTurn") or {}).get("expected", {}).get("intent") or {})
                           .get("slots") or {}) for r in records), default=0)
    attribute_count = max((len((r["turnSpecification"].get("userTurn") or {}).get("input", {})
                               .get("requestAttributes") or {}) for r in records), default=0)
    header = [LINE, CONVERSATION, SOURCE, INPUT, INTENT, *[f"{SLOT} {i}" for i in range(1, slot_count + 1)],
              *[f"{ATTRIBUTE} {i}" for i in range(1, attribute_count + 1)]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        turn = record["turnSpecification"]
        row = [record["recordNumber"], record.get("conversationId") or ""]
        if "agentTurn" in turn:
            row += ["Agent", turn["agentTurn"]["agentPrompt"], ""]
            slots, attributes = {}, {}
        else:
            user = turn["userTurn"]
            intent = user["expected"]["intent"]
            row += ["User", user["input"]["utteranceInput"].get("textInput", ""), intent["name"]]
            slots = intent.get("slots") or {}
            attributes = user["input"].get("requestAttributes") or {}
        row += [f"{k} = {v.get('value', '')}" for k, v in slots.items()] + [""] * (slot_count - len(slots))
        row += [f"{k} = {v}" for k, v in attributes.items()] + [""] * (attribute_count - len(attributes))
        writer.writerow(row)
    return out.getvalue().encode()
