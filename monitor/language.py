"""Language stage: py3langid with normalized probabilities on title plus body."""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from monitor.model import LanguageResult

#: Dialect and macro-language codes folded into the code that topic rules use; creoles are folded
#: into their lexifier, which py3langid picks for short headlines of plain English or French
#: ("Nigeria and Ghana sign trade deal" comes out Nigerian Pidgin, ``pcm``, at 0.89).
FOLD = {
    "arz": "ar",
    "ary": "ar",
    "apc": "ar",
    "acm": "ar",
    "afb": "ar",
    "ajp": "ar",
    "aeb": "ar",
    "arq": "ar",
    "pcm": "en",
    "gcf": "fr",
    "gcr": "fr",
}
#: How many characters of the text are enough for a stable decision.
_SAMPLE_CHARS = 5000


class LanguageDetector:
    """Detect the language of a text; the model is loaded once in ``__init__``.

    py3langid is the numpy port of langid.py (Lui & Baldwin, ACL 2012); with
    ``norm_probs=True`` the confidence is a probability in 0..1.
    """

    def __init__(self) -> None:
        from py3langid import langid

        self._identifier = LanguageIdentifier.from_modelpath(langid.MODEL_DIR / MODEL_FILE, norm_probs=True)

    def detect(self, title: str, text: str) -> LanguageResult:
        """Return the language of ``title`` + ``text`` (ISO 639-1, dialects folded into their macro-language).

        An empty text gives ``LanguageResult("und", 0.0)``.
        """
        sample = f"{title}\n{text[:_SAMPLE_CHARS]}".strip()
        if not sample:
            return LanguageResult("und", 0.0)
        code, prob = self._identifier.classify(sample)
        return LanguageResult(FOLD.get(code, code), round(float(prob), 4))
