"""Built-in intents and slot types: ListBuiltInIntents and ListBuiltInSlotTypes, per locale."""

from __future__ import annotations

from typing import Any, NamedTuple

from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from .errors import validation
from .handlers import op
from .locales import LOCALE_NAMES

# -- data ----------------------------------------------------------------------
#
# Sources (Amazon Lex V2 Developer Guide):
# - signatures: "Built-in intents" (built-in-intents.html) and "Built-in slot types" (built-in-slots.html);
# - descriptions: the slot types' "Short Description" column of built-in-slots.html, and the opening sentence
#   of each intent's page (built-in-intent-*.html), verbatim (AWS's "phrases the enable" typo included);
# - locales: "Languages and locales supported by Amazon Lex V2" (how-languages.html), whose feature table lists
#   the only features limited to some locales ("All other Amazon Lex V2 features are supported in all languages
#   and locales"): AMAZON.KendraSearchIntent en_US only; AMAZON.AlphaNumeric all but ko_KR and the locales it
#   marks as limited feature support; and built-in-slot-uk-postal-code.html: AMAZON.UKPostalCode en_GB only.
#   AMAZON.BedrockAgentIntent's page says all locales. AMAZON.QnAIntent and AMAZON.QinConnectIntent document no
#   locale list of their own: all locales, as how-languages implies.

ALL_LOCALES = frozenset(LOCALE_NAMES)
# The LOCALE_NAMES entries how-languages.html marks with an asterisk (limited feature support).
LIMITED_SUPPORT_LOCALES = frozenset({"cy_GB", "da_DK", "de_CH", "en_IE", "en_NZ", "id_ID", "tr_TR"})


class BuiltIn(NamedTuple):
    signature: str
    description: str
    locales: frozenset[str] = ALL_LOCALES


BUILT_IN_INTENTS = (
    BuiltIn("AMAZON.BedrockAgentIntent", "Activates Amazon Bedrock Agents that are defined in the intent to respond "
            "to customer requests and activate agentic workflows to achieve the task defined."),
    BuiltIn("AMAZON.CancelIntent",
            "Responds to words and phrases that indicate the user wants to cancel the current interaction."),
    BuiltIn("AMAZON.FallbackIntent", "When a user's input to an intent isn't what a bot expects, you can configure "
            "Amazon Lex V2 to invoke a fallback intent."),
    BuiltIn("AMAZON.HelpIntent",
            "Responds to words or phrases that indicate the user needs help while interacting with your bot."),
    BuiltIn("AMAZON.KendraSearchIntent", "To search documents that you have indexed with Amazon Kendra, use the "
            "AMAZON.KendraSearchIntent intent.", frozenset({"en_US"})),
    BuiltIn("AMAZON.PauseIntent", "Responds to words and phrases that enable the user to pause an interaction with a "
            "bot so that they can return to it later."),
    BuiltIn("AMAZON.QinConnectIntent", "AMAZON.QInConnectIntent responds to customer questions by using the "
            "LLM-enhanced evolution of Amazon Connect Wisdom that delivers real-time recommendations to help contact "
            "center customers and agents resolve customer issues quickly and accurately."),
    BuiltIn("AMAZON.QnAIntent",
            "Responds to customer questions by using an Amazon Bedrock FM to search and summarize FAQ responses."),
    BuiltIn("AMAZON.RepeatIntent",
            "Responds to words and phrases that enable the user to repeat the previous message."),
    BuiltIn("AMAZON.ResumeIntent",
            "Responds to words and phrases the enable the user to resume a previously paused intent."),
    BuiltIn("AMAZON.StartOverIntent", "Responds to words and phrases that enable the user to stop processing the "
            "current intent and start over from the beginning."),
    BuiltIn("AMAZON.StopIntent", "Responds to words and phrases that indicate that the user wants to stop processing "
            "the current intent and end the interaction with a bot."),
)

BUILT_IN_SLOT_TYPES = (
    BuiltIn("AMAZON.AlphaNumeric", "Recognizes words made up of letters and numbers.",
            ALL_LOCALES - {"ko_KR"} - LIMITED_SUPPORT_LOCALES),
    BuiltIn("AMAZON.City", "Recognizes words that represent a city."),
    BuiltIn("AMAZON.Confirmation", "Recognizes words that mean 'Yes', 'No', 'Maybe', and 'Don't know' and converts "
            "them to a standard (Yes/No/Maybe/Don't know) format."),
    BuiltIn("AMAZON.Country", "Recognizes words that represent a country."),
    BuiltIn("AMAZON.Currency", "Recognizes words that represent a currency value and converts them into a standard "
            "currency abbreviation and value."),
    BuiltIn("AMAZON.Date", "Recognizes words that represent a date and converts them to a standard format."),
    BuiltIn("AMAZON.Duration", "Recognizes words that represent duration and converts them to a standard format."),
    BuiltIn("AMAZON.EmailAddress",
            "Recognizes words that represent an email address and converts them into a standard email address."),
    BuiltIn("AMAZON.FirstName", "Recognizes words that represent a first name."),
    BuiltIn("AMAZON.FreeFormInput", "Recognizes strings that consist of any words or characters."),
    BuiltIn("AMAZON.LastName", "Recognizes words that represent a last name."),
    BuiltIn("AMAZON.Number", "Recognizes numeric words and converts them into digits."),
    BuiltIn("AMAZON.Percentage",
            "Recognizes words that represent a percentage and converts them to a number and a percent sign (%)."),
    BuiltIn("AMAZON.PhoneNumber",
            "Recognizes words that represent a phone number and converts them into a numeric string."),
    BuiltIn("AMAZON.State", "Recognizes words that represent a state."),
    BuiltIn("AMAZON.StreetName", "Recognizes words that represent a street name."),
    BuiltIn("AMAZON.Time", "Recognizes words that indicate times and converts them into a time format."),
    BuiltIn("AMAZON.UKPostalCode",
            "Recognizes words that represent a UK post code and converts them to a standard form.",
            frozenset({"en_GB"})),
)

# BuiltInsMaxResults allows exactly 20 and the model documents no default.
DEFAULT_MAX_RESULTS = 20


# -- logic ---------------------------------------------------------------------


def listing(operation: str, table: tuple[BuiltIn, ...], signature_field: str,
            params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the locale's built-ins as summaries, sorted by signature (ascending unless asked)."""
    locale_id = params["localeId"]
    if locale_id not in LOCALE_NAMES:
        raise validation(f"The locale {locale_id} is not supported by Amazon Lex V2.")
    descending = params.get("sortBy", {}).get("order") == "Descending"
    chosen = sorted((b for b in table if locale_id in b.locales), key=lambda b: b.signature, reverse=descending)
    summaries = [{signature_field: b.signature, "description": b.description} for b in chosen]
    # The operation is part of the query so that an intents token is refused by the slot types listing.
    query = {"operation": operation, "localeId": locale_id, "sortBy": params.get("sortBy")}
    try:
        chunk, token = page(summaries, params.get("maxResults", DEFAULT_MAX_RESULTS), params.get("nextToken"), query)
    except InvalidToken as error:
        raise validation(str(error)) from None
    return list(chunk), token


@op("ListBuiltInIntents")
def list_built_in_intents(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = listing(ctx.operation, BUILT_IN_INTENTS, "intentSignature", params)
    return {"builtInIntentSummaries": items, "nextToken": token, "localeId": params["localeId"]}


@op("ListBuiltInSlotTypes")
def list_built_in_slot_types(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = listing(ctx.operation, BUILT_IN_SLOT_TYPES, "slotTypeSignature", params)
    return {"builtInSlotTypeSummaries": items, "nextToken": token, "localeId": params["localeId"]}
