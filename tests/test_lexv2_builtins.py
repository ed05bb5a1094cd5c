"""Lex V2 ListBuiltInIntents and ListBuiltInSlotTypes: AMAZON.* names per locale, sorted and paged."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localexport.services.lexv2 import builtins
from localexport.services.lexv2.locales import LOCALE_NAMES


def intents(lex, locale: str, **kwargs) -> list[str]:
    response = lex.list_built_in_intents(localeId=locale, **kwargs)
    return [s["intentSignature"] for s in response["builtInIntentSummaries"]]


def slot_types(lex, locale: str, **kwargs) -> list[str]:
    response = lex.list_built_in_slot_types(localeId=locale, **kwargs)
    return [s["slotTypeSignature"] for s in response["builtInSlotTypeSummaries"]]


def error_code(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_en_us_lists_its_built_ins_with_descriptions(lex):
    response = lex.list_built_in_intents(localeId="en_US")
    assert response["localeId"] == "en_US"
    assert "nextToken" not in response
    by_signature = {s["intentSignature"]: s["description"] for s in response["builtInIntentSummaries"]}
    assert {"AMAZON.FallbackIntent", "AMAZON.CancelIntent", "AMAZON.QnAIntent"} <= set(by_signature)
    assert all(description for description in by_signature.values())

    response = lex.list_built_in_slot_types(localeId="en_US")
    assert response["localeId"] == "en_US"
    by_signature = {s["slotTypeSignature"]: s["description"] for s in response["builtInSlotTypeSummaries"]}
    assert by_signature["AMAZON.Number"] == "Recognizes numeric words and converts them into digits."
    assert {"AMAZON.City", "AMAZON.Date", "AMAZON.FreeFormInput", "AMAZON.AlphaNumeric"} <= set(by_signature)


def test_locale_specific_built_ins_appear_in_their_locale_only(lex):
    assert "AMAZON.UKPostalCode" in slot_types(lex, "en_GB")
    assert "AMAZON.UKPostalCode" not in slot_types(lex, "en_US")
    assert "AMAZON.KendraSearchIntent" in intents(lex, "en_US")
    assert "AMAZON.KendraSearchIntent" not in intents(lex, "en_GB")
    assert "AMAZON.AlphaNumeric" in slot_types(lex, "ja_JP")
    assert "AMAZON.AlphaNumeric" not in slot_types(lex, "ko_KR")


@pytest.mark.parametrize("locale", sorted(LOCALE_NAMES))
def test_every_supported_locale_lists_sorted_built_ins(lex, locale):
    listed_intents, listed_slot_types = intents(lex, locale), slot_types(lex, locale)
    assert "AMAZON.FallbackIntent" in listed_intents and "AMAZON.Number" in listed_slot_types
    assert listed_intents == sorted(listed_intents) and listed_slot_types == sorted(listed_slot_types)


def test_sort_descending(lex):
    ascending = intents(lex, "en_US", sortBy={"attribute": "IntentSignature", "order": "Ascending"})
    descending = intents(lex, "en_US", sortBy={"attribute": "IntentSignature", "order": "Descending"})
    assert descending == ascending[::-1] and descending != ascending
    ascending = slot_types(lex, "en_GB")
    descending = slot_types(lex, "en_GB", sortBy={"attribute": "SlotTypeSignature", "order": "Descending"})
    assert descending == ascending[::-1] and descending[0] == "AMAZON.UKPostalCode"


def test_max_results_of_the_model_covers_everything_once(lex):
    # BuiltInsMaxResults allows only 20, and no locale has more than 20 built-ins of a kind: one page.
    response = lex.list_built_in_slot_types(localeId="en_GB", maxResults=20)
    listed = [s["slotTypeSignature"] for s in response["builtInSlotTypeSummaries"]]
    assert "nextToken" not in response
    assert sorted(set(listed)) == listed == sorted(b.signature for b in builtins.BUILT_IN_SLOT_TYPES)
    code, message = error_code(lex.list_built_in_intents, localeId="en_US", maxResults=21)
    assert code == "ValidationException" and "maxResults" in message


def test_paging_over_several_pages_lists_everything_once(lex):
    # The wire only admits maxResults=20, so smaller pages are asked of the listing itself;
    # its tokens are then honoured by the operation through boto3.
    params = {"localeId": "en_US", "maxResults": 5}
    pages, token = [], None
    for _ in range(10):  # bounded, so a token that never runs out fails instead of hanging
        chunk, token = builtins.listing("ListBuiltInIntents", builtins.BUILT_IN_INTENTS, "intentSignature",
                                        {**params, **({"nextToken": token} if token else {})})
        pages.append([s["intentSignature"] for s in chunk])
        if token is None:
            break
    assert len(pages) == 3 and all(len(p) == 5 for p in pages[:-1])
    assert [s for p in pages for s in p] == intents(lex, "en_US")

    _, token = builtins.listing("ListBuiltInIntents", builtins.BUILT_IN_INTENTS, "intentSignature", params)
    assert intents(lex, "en_US", nextToken=token) == intents(lex, "en_US")[5:]


def test_a_token_is_bound_to_its_operation_and_locale(lex):
    _, token = builtins.listing("ListBuiltInIntents", builtins.BUILT_IN_INTENTS, "intentSignature",
                                {"localeId": "en_US", "maxResults": 5})
    assert error_code(lex.list_built_in_slot_types, localeId="en_US", nextToken=token)[0] == "ValidationException"
    assert error_code(lex.list_built_in_intents, localeId="en_GB", nextToken=token)[0] == "ValidationException"


def test_bad_token_is_refused(lex):
    for call in (lex.list_built_in_intents, lex.list_built_in_slot_types):
        code, message = error_code(call, localeId="en_US", nextToken="not-a-token")
        assert (code, message) == ("ValidationException", "The nextToken is not valid.")


def test_unsupported_locale_is_refused(lex):
    for call in (lex.list_built_in_intents, lex.list_built_in_slot_types):
        code, message = error_code(call, localeId="xx_XX")
        assert (code, message) == ("ValidationException", "The locale xx_XX is not supported by Amazon Lex V2.")
