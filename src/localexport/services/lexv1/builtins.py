"""Built-in intents and slot types that Lex V1 bots refer to (a representative subset)."""

LOCALES = ["de-DE", "en-AU", "en-GB", "en-IN", "en-US", "es-419", "es-ES", "es-US", "fr-CA", "fr-FR", "it-IT",
           "ja-JP", "ko-KR"]

INTENTS = ["AMAZON.CancelIntent", "AMAZON.FallbackIntent", "AMAZON.HelpIntent", "AMAZON.KendraSearchIntent",
           "AMAZON.NoIntent", "AMAZON.PauseIntent", "AMAZON.RepeatIntent", "AMAZON.ResumeIntent",
           "AMAZON.StartOverIntent", "AMAZON.StopIntent", "AMAZON.YesIntent"]

SLOT_TYPES = ["AMAZON.AlphaNumeric", "AMAZON.Airport", "AMAZON.AT_CITY", "AMAZON.Country", "AMAZON.DATE",
              "AMAZON.DURATION", "AMAZON.EmailAddress", "AMAZON.EUROPE_CITY", "AMAZON.FOUR_DIGIT_NUMBER",
              "AMAZON.NUMBER", "AMAZON.Percentage", "AMAZON.PhoneNumber", "AMAZON.SpeedUnit", "AMAZON.TIME",
              "AMAZON.US_CITY", "AMAZON.US_FIRST_NAME", "AMAZON.US_LAST_NAME", "AMAZON.US_STATE",
              "AMAZON.WeightUnit"]
