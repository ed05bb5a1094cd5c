"""Dialog management: one user turn of a Lex V2 conversation, from the session before it to the one after.

The conversation follows the locale's intents as the developer guide's "Creating conversation paths"
(paths.html), "Conversation flow" and the intent settings describe them:

- a turn with no intent in progress starts the best interpretation's intent (``FallbackIntent`` when nothing
  scores over the locale's threshold); its ``initialResponseSetting`` speaks, then its ``nextStep`` runs
  (by default: the first required slot without a value, in ``slotPriorities`` order);
- a slot is elicited with its ``promptSpecification``; an answer that fills it runs the slot's
  ``slotCaptureSetting`` (capture response, conditional, ``captureNextStep``); one that does not is asked
  again (the same prompt) up to ``maxRetries`` times, then the ``failure*`` path runs (by default
  ``FallbackIntent``, as AMAZON.FallbackIntent's page says).  ``promptAttemptsSpecification`` (Initial,
  Retry1...) sets per attempt the audio and DTMF inputs allowed and their timeouts: text is always allowed
  (AllowedInputTypes has no text member), so it changes nothing in a text turn;
- active contexts (contexts.py): an intent's output contexts are set when it is fulfilled, and an intent
  with input contexts is recognised only while they are all active;
- an answer that another intent matches exactly switches to that intent (Lex's intent switching);
- with every required slot filled, an active ``intentConfirmationSetting`` asks its prompt: yes
  (``AMAZON.Confirmation``) confirms and goes on to fulfilment, no declines (declination response, the
  intent ``Failed``), anything else is asked again up to ``maxRetries``, then the failure path;
- fulfilment: the ``fulfillmentCodeHook`` when one is enabled and a hook is registered, else it succeeds
  (intent-fulfillment.html: "If the option is disabled, the fulfillment succeeds without invoking the
  Lambda function"), then ``postFulfillmentStatusSpecification``'s success response and next step, then
  the ``intentClosingSetting`` (closing response, dialog action ``Close``);
- a next step (``DialogState``) may set slots and session attributes and names the action: ElicitSlot,
  ConfirmIntent, FulfillIntent, CloseIntent, EndConversation, ElicitIntent, StartIntent,
  EvaluateConditional, InvokeDialogCodeHook; a ``conditional`` takes its first branch whose condition
  holds (conditions.py), else its default branch;
- code hooks (dialog ``InvokeDialogCodeHook`` and fulfilment) call ``hook`` with the Lambda input event
  and follow its answer (``Close``, ``ConfirmIntent``, ``Delegate``, ``ElicitIntent``, ``ElicitSlot``);
  with no hook registered a dialog code hook takes its success path, as if it had answered ``Delegate``.

Messages are rendered by prompts.py; the NLU is nlu.py.  Nothing here reads or writes the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...aws.errors import AWSError
from . import conditions, contexts, prompts

Hook = Callable[[dict[str, Any]], dict[str, Any]]  # Lambda input event -> Lambda response
MAX_STEPS = 25  # next steps one turn may chain before the bot is deemed to loop
DEFAULT_RETRIES = 2  # a prompt without maxRetries (PromptSpecification's required member; older documents)


@dataclass
class Locale:
    """What the dialog needs of a built locale."""

    model: Any  # nlu.LocaleModel
    intents: dict[str, dict[str, Any]]  # name -> DescribeIntent body
    slots: dict[str, dict[str, dict[str, Any]]]  # intent name -> slot name -> DescribeSlot body, priority order
    fallback: str | None  # the name of the intent whose parent is AMAZON.FallbackIntent
    bot: dict[str, str]  # the code hook event's ``bot``: id, name, aliasId, aliasName, localeId, version
    hook: Hook | None = None


@dataclass
class Session:
    """The state a conversation carries between turns (stored by sessions.py)."""

    state: dict[str, Any] = field(default_factory=dict)  # the wire SessionState
    attempts: dict[str, int] = field(default_factory=dict)  # prompt -> how many times it went unanswered
    interpretations: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    expiries: dict[str, list] = field(default_factory=dict)  # active context -> [expiry, timeToLive sent]


class Dialog:
    """One turn: ``Dialog(locale, session, now).recognize(text)``; the session is updated in place."""

    def __init__(self, locale: Locale, session: Session, now: datetime, request_attributes: dict | None = None,
                 session_id: str = "", return_intent: bool = False):
        self.locale = locale
        # Lex V1's ReturnIntent: an intent without an enabled fulfillment code hook is handed back to the
        # client (state ReadyForFulfillment) instead of being fulfilled here
        self.return_intent = return_intent
        self.session = session
        self.now = now
        self.request_attributes = request_attributes or {}
        self.session_id = session_id
        self.messages: list[dict[str, Any]] = []
        self.text = ""
        self._steps = 0
        self._contexts: set[str] = set()  # the names of the contexts active in this turn

    # -- the state --------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        return self.session.state

    @property
    def intent(self) -> dict[str, Any]:
        return self.state.get("intent") or {}

    @property
    def attributes(self) -> dict[str, str]:
        return self.state.setdefault("sessionAttributes", {})

    def _intent_doc(self) -> dict[str, Any]:
        return self.locale.intents.get(self.intent.get("name", ""), {})

    def _slot_doc(self, name: str) -> dict[str, Any]:
        return self.locale.slots.get(self.intent.get("name", ""), {}).get(name, {})

    def _say(self, response: dict[str, Any] | None) -> None:
        self.messages += prompts.render(response, self.intent.get("slots") or {}, self.attributes)

    def _action(self, kind: str, slot: str | None = None) -> None:
        self.state["dialogAction"] = {"type": kind, **({"slotToElicit": slot} if slot else {})}

    def _set_intent_state(self, state: str) -> None:
        if self.intent:
            self.state["intent"]["state"] = state
            if state == "Fulfilled":
                self._fulfilled()

    def _fulfilled(self) -> None:
        contexts.activate(self.state, self.session.expiries, self._intent_doc().get("outputContexts"),
                          self.now.timestamp())

    # -- a turn -------------------------------------------------------------------------------

    def recognize(self, text: str) -> list[dict[str, Any]]:
        """Answer ``text``; the messages to send (the session now holds the state after the turn)."""
        self.text = text
        self._contexts = contexts.begin_turn(self.state, self.session.expiries, self.now.timestamp())
        interpretations = self._eligible(self.locale.model.interpret(text, self.now))
        action = (self.state.get("dialogAction") or {}).get("type")
        pending = self.intent.get("state") in (None, "InProgress", "Waiting")
        top = interpretations[0] if interpretations else None
        if action == "ElicitSlot" and pending and self.intent:
            self._answer_slot(self.state["dialogAction"].get("slotToElicit", ""), text, top)
        elif action == "ConfirmIntent" and pending and self.intent:
            self._answer_confirmation(text, top)
        else:
            self._start(top.intent_name if top else self.locale.fallback, top.slots if top else {})
        self.session.interpretations = self._interpretations(interpretations)
        self.session.messages = self.messages
        return self.messages

    def _eligible(self, found: list[Any]) -> list[Any]:
        """The interpretations whose intents' input contexts are all active, FallbackIntent placed again."""
        kept = [i for i in found if contexts.eligible(self.locale.intents.get(i.intent_name, {}), self._contexts)]
        if len(kept) == len(found):
            return found
        fallback = [i for i in kept if i.intent_name == self.locale.fallback]
        scored = [i for i in kept if i.intent_name != self.locale.fallback]
        if fallback and (not scored or scored[0].score < self.locale.model.threshold):
            return fallback + scored
        return scored + fallback

    def _interpretations(self, found: list[Any]) -> list[dict[str, Any]]:
        wire = []
        for i in found:
            intent: dict[str, Any] = {"name": i.intent_name, "slots": i.slots}
            if i.intent_name == self.intent.get("name"):
                intent = {**self.intent}
            entry: dict[str, Any] = {"intent": intent, "interpretationSource": "Lex"}
            if i.score is not None:
                entry["nluConfidence"] = {"score": i.score}
            wire.append(entry)
        return wire

    def _switches(self, top: Any) -> bool:
        """An answer another intent matches exactly starts that intent instead."""
        return (top is not None and top.score is not None and top.score >= 1.0
                and top.intent_name != self.intent.get("name") and top.intent_name != self.locale.fallback)

    # -- starting an intent ----------------------------------------------------------------------

    def _start(self, name: str | None, slots: dict[str, Any] | None) -> None:
        if name is None or name not in self.locale.intents:
            self._action("ElicitIntent")
            self.state.pop("intent", None)
            return
        declared = self.locale.slots.get(name, {})
        filled = {s: v for s, v in (slots or {}).items() if v}
        self.state["intent"] = {"name": name, "slots": {s: filled.get(s) for s in declared},
                                "state": "InProgress", "confirmationState": "None"}
        self.session.attempts = {}
        doc = self.locale.intents[name]
        if name == self.locale.fallback:
            self._fulfil()
            return
        setting = doc.get("initialResponseSetting") or {}
        self._say(setting.get("initialResponse"))
        self._defaults()
        self._follow(setting, "nextStep", "conditional", code_hook=setting.get("codeHook"))

    def _defaults(self) -> None:
        """Slots with a default value (a literal, or ``[attribute]``) that the user has not given."""
        for name, doc in self.locale.slots.get(self.intent["name"], {}).items():
            if self.intent["slots"].get(name):
                continue
            for default in ((doc.get("valueElicitationSetting") or {}).get("defaultValueSpecification") or {}).get(
                    "defaultValueList") or []:
                value = default.get("defaultValue", "")
                if value.startswith("[") and value.endswith("]"):
                    value = self.attributes.get(value[1:-1])
                elif len(value) >= 2 and value[0] == value[-1] == "'":
                    value = value[1:-1]
                if value:
                    resolved = self.locale.model.slot_value(self.intent["name"], name, value, self.now)
                    self.intent["slots"][name] = resolved or _literal(value)
                    break

    # -- next steps ---------------------------------------------------------------------------------

    def _follow(self, setting: dict[str, Any], next_key: str, conditional_key: str,
                code_hook: dict[str, Any] | None = None) -> None:
        """Run a setting's conditional (when active) or its next step (or the default when it has none)."""
        conditional = setting.get(conditional_key)
        if conditional and conditional.get("active", True) and conditional.get("conditionalBranches") is not None:
            self._conditional(conditional)
            return
        self._go(setting.get(next_key), code_hook=code_hook)

    def _conditional(self, conditional: dict[str, Any]) -> None:
        for branch in conditional.get("conditionalBranches") or []:
            if conditions.holds(branch["condition"]["expressionString"], self._fact):
                self._say(branch.get("response"))
                self._go(branch.get("nextStep"))
                return
        default = conditional.get("defaultBranch") or {}
        self._say(default.get("response"))
        self._go(default.get("nextStep"))

    def _fact(self, ref: str) -> Any:
        if ref.startswith("{"):
            slot = (self.intent.get("slots") or {}).get(ref[1:-1])
            if slot and slot.get("values"):
                return [prompts.slot_text(v) for v in slot["values"]]
            return prompts.slot_text(slot)
        if ref.startswith("["):
            return self.attributes.get(ref[1:-1])
        return {"$.inputMode": "Text", "$.inputTranscript": self.text}.get(ref)

    def _go(self, step: dict[str, Any] | None, code_hook: dict[str, Any] | None = None) -> None:
        """Take a next step (a DialogState); none: what Lex does by default at this point (``_advance``)."""
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise AWSError("DependencyFailedException", "The bot's conversation steps loop without waiting for "
                           "the user (more than 25 next steps in one turn).")
        if not step or not (step.get("dialogAction") or {}).get("type"):
            self._advance()
            return
        self.attributes.update(step.get("sessionAttributes") or {})
        target = step.get("intent") or {}
        action = step["dialogAction"]
        kind = action["type"]
        if kind == "StartIntent":
            self._start(target.get("name"), _wire_slots(target.get("slots")))
            return
        if target.get("slots") and self.intent:
            self.intent["slots"].update(_wire_slots(target["slots"]))
        if kind == "ElicitSlot":
            self._elicit(action.get("slotToElicit", ""), say=not action.get("suppressNextMessage"))
        elif kind == "ConfirmIntent":
            self._confirm()
        elif kind == "FulfillIntent":
            self._fulfil()
        elif kind == "CloseIntent":
            self._close()
        elif kind == "EndConversation":
            self._action("Close")
        elif kind == "ElicitIntent":
            self._action("ElicitIntent")
        elif kind == "InvokeDialogCodeHook":
            self._dialog_hook(code_hook or {})
        else:  # EvaluateConditional where no conditional is (or an action unknown here): the default
            self._advance()

    def _advance(self) -> None:
        """The default next step: the first required slot without a value, else confirmation, else fulfilment."""
        for name, doc in self.locale.slots.get(self.intent.get("name", ""), {}).items():
            setting = doc.get("valueElicitationSetting") or {}
            if setting.get("slotConstraint") == "Required" and not self.intent["slots"].get(name):
                self._elicit(name)
                return
        confirmation_setting = self._intent_doc().get("intentConfirmationSetting") or {}
        if (confirmation_setting.get("active", True) and confirmation_setting.get("promptSpecification")
                and self.intent.get("confirmationState", "None") == "None"):
            self._confirm()
            return
        self._fulfil()

    # -- slots ----------------------------------------------------------------------------------------

    def _elicit(self, slot: str, say: bool = True) -> None:
        doc = self._slot_doc(slot)
        if not doc:
            raise AWSError("DependencyFailedException", f"The next step elicits slot {slot}, which intent "
                           f"{self.intent.get('name')} does not have.")
        self._set_intent_state("InProgress")
        self._action("ElicitSlot", slot)
        if say:
            self._say((doc.get("valueElicitationSetting") or {}).get("promptSpecification"))

    def _answer_slot(self, slot: str, text: str, top: Any) -> None:
        value = self.locale.model.slot_value(self.intent["name"], slot, text, self.now)
        if value is None and self._switches(top):
            self._start(top.intent_name, top.slots)
            return
        doc = self._slot_doc(slot)
        setting = doc.get("valueElicitationSetting") or {}
        capture = setting.get("slotCaptureSetting") or {}
        key = f"slot:{slot}"
        if value is None:
            if self._retry(key, setting.get("promptSpecification")):
                self._elicit(slot)
                return
            self._say(capture.get("failureResponse"))
            self._failure(capture, "failureNextStep", "failureConditional")
            return
        self.session.attempts.pop(key, None)
        self.intent["slots"][slot] = value
        self._say(capture.get("captureResponse"))
        self._follow(capture, "captureNextStep", "captureConditional", code_hook=capture.get("codeHook"))

    def _retry(self, key: str, prompt: dict[str, Any] | None) -> bool:
        """Count an unanswered prompt; whether it may be asked again."""
        tries = self.session.attempts.get(key, 0) + 1
        self.session.attempts[key] = tries
        return tries <= (prompt or {}).get("maxRetries", DEFAULT_RETRIES)

    def _failure(self, setting: dict[str, Any], next_key: str, conditional_key: str) -> None:
        """After the last retry: the setting's failure path, by default the fallback intent."""
        if setting.get(next_key) or setting.get(conditional_key):
            self._follow(setting, next_key, conditional_key)
            return
        self._set_intent_state("Failed")
        self._start(self.locale.fallback, {})

    # -- confirmation ------------------------------------------------------------------------------------

    def _confirm(self) -> None:
        setting = self._intent_doc().get("intentConfirmationSetting") or {}
        self._set_intent_state("InProgress")
        self._action("ConfirmIntent")
        self._say(setting.get("promptSpecification"))

    def _answer_confirmation(self, text: str, top: Any) -> None:
        setting = self._intent_doc().get("intentConfirmationSetting") or {}
        answer = self.locale.model.confirmation(text, self.now)
        if answer is None and self._switches(top):
            self._start(top.intent_name, top.slots)
            return
        if answer == "Yes":
            self.session.attempts.pop("confirmation", None)
            self.intent["confirmationState"] = "Confirmed"
            self._say(setting.get("confirmationResponse"))
            if setting.get("confirmationNextStep") or setting.get("confirmationConditional"):
                self._follow(setting, "confirmationNextStep", "confirmationConditional")
            else:
                self._fulfil()
        elif answer == "No":
            self.intent["confirmationState"] = "Denied"
            self._say(setting.get("declinationResponse"))
            if setting.get("declinationNextStep") or setting.get("declinationConditional"):
                self._set_intent_state("Failed")
                self._follow(setting, "declinationNextStep", "declinationConditional")
            else:
                self._set_intent_state("Failed")
                self._action("Close")
        elif self._retry("confirmation", setting.get("promptSpecification")):
            self._confirm()
        else:
            self._say(setting.get("failureResponse"))
            self._failure(setting, "failureNextStep", "failureConditional")

    # -- fulfilment and closing ---------------------------------------------------------------------------

    def _fulfil(self) -> None:
        doc = self._intent_doc()
        setting = doc.get("fulfillmentCodeHook") or {}
        post = setting.get("postFulfillmentStatusSpecification") or {}
        if self.return_intent and not setting.get("enabled"):
            self._set_intent_state("ReadyForFulfillment")
            self._fulfilled()  # the bot's part is done: its output contexts become active, as on fulfilment
            self._action("Close")
            return
        if setting.get("enabled") and setting.get("active", True) and self.locale.hook is not None:
            self._set_intent_state("FulfillmentInProgress")
            answer = self._call_hook("FulfillmentCodeHook", None)
            if answer is not None:
                return  # the hook said what comes next
            if self.intent.get("state") == "Failed":
                self._say(post.get("failureResponse"))
                if post.get("failureNextStep") or post.get("failureConditional"):
                    self._follow(post, "failureNextStep", "failureConditional")
                else:
                    self._action("Close")
                return
        self._set_intent_state("Fulfilled")
        self._say(post.get("successResponse"))
        if post.get("successNextStep") or post.get("successConditional"):
            self._follow(post, "successNextStep", "successConditional")
        else:
            self._close()

    def _close(self) -> None:
        setting = self._intent_doc().get("intentClosingSetting") or {}
        if self.intent.get("state") in ("InProgress", "ReadyForFulfillment", "FulfillmentInProgress"):
            self._set_intent_state("Fulfilled")
        if setting.get("active", True):
            self._say(setting.get("closingResponse"))
            if setting.get("nextStep") or setting.get("conditional"):
                self._follow(setting, "nextStep", "conditional")
                return
        self._action("Close")

    # -- code hooks ------------------------------------------------------------------------------------------

    def _dialog_hook(self, code_hook: dict[str, Any]) -> None:
        """``InvokeDialogCodeHook``: the hook when the intent's dialog code hook is enabled and one is
        registered; then the code hook's post specification (success path, also with no hook)."""
        post = code_hook.get("postCodeHookSpecification") or {}
        enabled = (self._intent_doc().get("dialogCodeHook") or {}).get("enabled")
        invoke = code_hook.get("enableCodeHookInvocation", True) and code_hook.get("active", True)
        if enabled and invoke and self.locale.hook is not None:
            answer = self._call_hook("DialogCodeHook", code_hook.get("invocationLabel"))
            if answer is not None:
                return
            if self.intent.get("state") == "Failed":
                self._say(post.get("failureResponse"))
                self._follow(post, "failureNextStep", "failureConditional")
                return
        self._say(post.get("successResponse"))
        self._follow(post, "successNextStep", "successConditional")

    def _event(self, source: str, label: str | None) -> dict[str, Any]:
        event = {
            "messageVersion": "1.0",
            "invocationSource": source,
            "inputMode": "Text",
            "responseContentType": "text/plain; charset=utf-8",
            "sessionId": self.session_id,
            "inputTranscript": self.text,
            "bot": self.locale.bot,
            "interpretations": self.session.interpretations,
            "requestAttributes": self.request_attributes,
            "sessionState": {**self.state, "sessionAttributes": dict(self.attributes)},
            "transcriptions": [],
        }
        if label:
            event["invocationLabel"] = label
        return event

    def _call_hook(self, source: str, label: str | None) -> str | None:
        """Call the hook; the dialog action it chose when it chose one other than Delegate (None: go on)."""
        try:
            answer = self.locale.hook(self._event(source, label))
        except Exception as error:  # noqa: BLE001 (the hook is the user's code: its failure is a dependency failing)
            raise AWSError("DependencyFailedException", f"Invalid Lambda Response: the code hook failed: {error}") \
                from None
        if not isinstance(answer, dict) or not isinstance(answer.get("sessionState"), dict):
            raise AWSError("DependencyFailedException", "Invalid Lambda Response: Received null response from "
                           "Lambda" if answer is None else "Invalid Lambda Response: no sessionState.")
        state = answer["sessionState"]
        if isinstance(state.get("sessionAttributes"), dict):
            self.state["sessionAttributes"] = dict(state["sessionAttributes"])
        if isinstance(state.get("intent"), dict) and self.intent:
            self.state["intent"] = {**self.intent, **state["intent"]}
            if self.intent.get("state") == "Fulfilled":
                self._fulfilled()
        if state.get("activeContexts") is not None:
            try:
                self.state["activeContexts"] = contexts.checked(state["activeContexts"])
            except ValueError as error:
                raise AWSError("DependencyFailedException", f"Invalid Lambda Response: {error}.") from None
        self.messages += [m for m in answer.get("messages") or [] if isinstance(m, dict)]
        action = state.get("dialogAction") or {}
        kind = action.get("type", "Delegate")
        if kind == "Delegate":
            return None
        if kind == "ElicitSlot":
            self._set_intent_state("InProgress")
            self._action("ElicitSlot", action.get("slotToElicit"))
            if not answer.get("messages"):
                self._say((self._slot_doc(action.get("slotToElicit", "")).get("valueElicitationSetting") or {})
                          .get("promptSpecification"))
        elif kind == "ConfirmIntent":
            self._action("ConfirmIntent")
            if not answer.get("messages"):
                self._say((self._intent_doc().get("intentConfirmationSetting") or {}).get("promptSpecification"))
        elif kind == "ElicitIntent":
            self._action("ElicitIntent")
        else:  # Close
            self._action("Close")
        return kind


def _literal(value: str) -> dict[str, Any]:
    return {"value": {"originalValue": value, "interpretedValue": value, "resolvedValues": [value]}}


def _wire_slots(slots: dict[str, Any] | None) -> dict[str, Any]:
    """A next step's slot values (``{name: {value: {interpretedValue}}}``) as runtime slots."""
    found = {}
    for name, slot in (slots or {}).items():
        value = ((slot or {}).get("value") or {}).get("interpretedValue")
        if value is not None:
            found[name] = _literal(value)
        elif slot and slot.get("value"):
            found[name] = slot
    return found
