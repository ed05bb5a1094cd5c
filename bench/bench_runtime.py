"""Lex V2 runtime latency: RecognizeText on a built 1,000-intent bot under ``mock_export()``, per call.

No other emulator answers lexv2-runtime, so the peer is the goal (< 5 ms a call, in-process) and, in the same
run, DescribeBot on the same instance (a call that only reads one document): their ratio is what the NLU and
the dialog add to the wire.  Texts: an exact sample utterance, a template filling its slot, a paraphrase with
a typo (similarity over the locale's token index), and a text like no intent (FallbackIntent); each a new
session, so every call starts a conversation (store read, dialog, session write).

    pip install -e '.[bench]' && python bench/bench_runtime.py [--intents 1000] [--calls 300]
"""

from __future__ import annotations

import argparse
import itertools
import time

from bench_inprocess import per_call  # the same measure: median over rounds of the mean per call

ROLE = "arn:aws:iam::123456789012:role/LexRole"
VERBS = ("book", "cancel", "check", "change", "find", "order", "track", "pay", "renew", "report")
THINGS = ("flight", "hotel", "car", "table", "ticket", "parcel", "bill", "licence", "claim", "account")
PLACES = ("paris", "tokyo", "lima", "oslo", "cairo", "quito", "perth", "dakar", "hanoi", "sofia")


def build_bot(lex, intents: int) -> str:
    bot = lex.create_bot(botName="RuntimeBench", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)["botId"]
    where = {"botId": bot, "botVersion": "DRAFT", "localeId": "en_US"}
    lex.create_bot_locale(**where, nluIntentConfidenceThreshold=0.4)
    city = lex.create_slot_type(**where, slotTypeName="City", valueSelectionSetting={
        "resolutionStrategy": "TopResolution"},
        slotTypeValues=[{"sampleValue": {"value": p}} for p in PLACES])["slotTypeId"]
    for n, (verb, thing) in enumerate(itertools.islice(itertools.cycle(itertools.product(VERBS, THINGS)), intents)):
        name = f"{verb.title()}{thing.title()}{n}"
        words = f"{verb} {thing} number {n}"
        utterances = [f"{words}", f"please {words}", f"i want to {words}", f"can you {words} for me",
                      f"{words} now", f"help me {words}", f"i need to {words} today", f"{words} right away",
                      f"{words} in {{Place}}", f"i would like to {words} in {{Place}}"]
        intent = lex.create_intent(**where, intentName=name,
                                   sampleUtterances=[{"utterance": u} for u in utterances])["intentId"]
        slot = lex.create_slot(**where, intentId=intent, slotName="Place", slotTypeId=city,
                               valueElicitationSetting={"slotConstraint": "Optional"})["slotId"]
        lex.update_intent(**where, intentId=intent, intentName=name,
                          sampleUtterances=[{"utterance": u} for u in utterances],
                          slotPriorities=[{"priority": 1, "slotId": slot}])
    lex.build_bot_locale(**where)
    return bot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    import boto3

    from localexport import mock_export

    with mock_export():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        talk = boto3.client("lexv2-runtime", region_name="us-east-1")
        started = time.perf_counter()
        bot = build_bot(lex, args.intents)
        made = time.perf_counter() - started
        sessions = itertools.count()
        last = args.intents - 1
        verb, thing = list(itertools.product(VERBS, THINGS))[last % 100]
        texts = {
            "exact sample utterance": f"please {verb} {thing} number {last}",
            "template filling its slot": f"i would like to {verb} {thing} number {last} in oslo",
            "paraphrase with a typo": f"could you plese {verb} the {thing} numbr {last}",
            "like no intent": "what is the colour of the sky on mars",
        }

        def say(text: str):
            return lambda: talk.recognize_text(botId=bot, botAliasId="TSTALIASID", localeId="en_US",
                                               sessionId=f"s{next(sessions)}", text=text)

        started = time.perf_counter()
        first = talk.recognize_text(botId=bot, botAliasId="TSTALIASID", localeId="en_US", sessionId="first",
                                    text=texts["exact sample utterance"])
        assert first["interpretations"][0]["intent"]["name"].endswith(str(last)), first["interpretations"][0]
        first_call = time.perf_counter() - started
        describe = per_call(lambda: lex.describe_bot(botId=bot), args.calls)
        print(f"{args.intents} intents x 10 utterances, made and built in {made:.1f} s; "
              f"first RecognizeText (makes the model) {first_call:.2f} s; DescribeBot {describe * 1e3:.2f} ms a call")
        print("| RecognizeText | ms a call | / DescribeBot | top intent |")
        print("|---|---|---|---|")
        for label, text in texts.items():
            seconds = per_call(say(text), args.calls)
            top = say(text)()["interpretations"][0]
            print(f"| {label} | {seconds * 1e3:.2f} | {seconds / describe:.1f}x | {top['intent']['name']} "
                  f"{top.get('nluConfidence', {}).get('score', '')} |")


if __name__ == "__main__":
    main()
