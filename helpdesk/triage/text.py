"""Reading a ticket's text: its language, signs of frustration, and security words.

No dependency: the seven languages we serve are told apart well enough by
their script (kana means Japanese, Han without kana Chinese) and, for the
Latin ones, by counting short function words and a few letters each uses
alone. It is fast (a few microseconds a ticket) and never downloads
anything. The word lists are defaults written for this product; an admin
who needs more writes a triage rule.
"""

import re
from dataclasses import dataclass

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")

# Short, frequent words; a word listed for two languages counts for both.
FUNCTION_WORDS = {
    "en": [
        "the",
        "and",
        "is",
        "are",
        "was",
        "to",
        "of",
        "my",
        "it",
        "not",
        "you",
        "for",
        "with",
        "this",
        "that",
        "have",
        "has",
        "can",
        "please",
        "i",
        "we",
        "our",
        "be",
        "on",
        "in",
        "since",
        "at",
        "from",
        "any",
        "how",
        "what",
        "when",
        "why",
        "would",
        "could",
        "there",
    ],
    "es": [
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "y",
        "en",
        "no",
        "mi",
        "mis",
        "por",
        "con",
        "para",
        "es",
        "una",
        "un",
        "se",
        "lo",
        "al",
        "pero",
        "como",
        "esta",
        "está",
        "estoy",
        "hemos",
        "tengo",
        "puedo",
        "gracias",
        "hola",
        "desde",
        "ya",
        "también",
        "cuando",
    ],
    "fr": [
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "et",
        "est",
        "je",
        "ne",
        "pas",
        "mon",
        "ma",
        "mes",
        "pour",
        "avec",
        "une",
        "un",
        "vous",
        "nous",
        "sur",
        "dans",
        "que",
        "qui",
        "mais",
        "depuis",
        "merci",
        "bonjour",
        "il",
        "elle",
        "ce",
        "cette",
        "suis",
        "avons",
    ],
    "de": [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "ich",
        "nicht",
        "mein",
        "meine",
        "mit",
        "für",
        "ein",
        "eine",
        "wir",
        "sie",
        "es",
        "auf",
        "zu",
        "den",
        "dem",
        "bitte",
        "danke",
        "seit",
        "kann",
        "keine",
        "auch",
        "noch",
        "wie",
        "hallo",
        "haben",
        "habe",
    ],
    "pt": [
        "o",
        "a",
        "os",
        "as",
        "de",
        "do",
        "da",
        "que",
        "e",
        "em",
        "não",
        "meu",
        "minha",
        "por",
        "com",
        "para",
        "é",
        "um",
        "uma",
        "se",
        "ao",
        "mas",
        "como",
        "está",
        "estou",
        "temos",
        "tenho",
        "posso",
        "obrigado",
        "obrigada",
        "olá",
        "desde",
        "já",
        "também",
        "quando",
    ],
}
# Letters (or marks) that point at one Latin language.
TELL_TALES = {"es": "ñ¿¡", "de": "ßäöü", "pt": "ãõ", "fr": "èêëàùœç"}

FRUSTRATION = {
    "en": [
        "again",
        "still not",
        "still broken",
        "third time",
        "fourth time",
        "unacceptable",
        "ridiculous",
        "frustrated",
        "frustrating",
        "angry",
        "furious",
        "terrible",
        "worst",
        "useless",
        "waste of",
        "fed up",
        "no one answered",
        "nobody answered",
        "cancel my",
        "disappointed",
    ],
    "es": [
        "otra vez",
        "de nuevo",
        "todavía no",
        "sigue sin",
        "tercera vez",
        "inaceptable",
        "ridículo",
        "harto",
        "harta",
        "frustrado",
        "frustrada",
        "enfadado",
        "terrible",
        "pésimo",
        "nadie responde",
        "cancelar",
    ],
    "fr": [
        "encore",
        "toujours pas",
        "troisième fois",
        "inacceptable",
        "ridicule",
        "marre",
        "frustré",
        "furieux",
        "nul",
        "déçu",
        "déçue",
        "personne ne répond",
        "résilier",
    ],
    "de": [
        "schon wieder",
        "immer noch",
        "dritte mal",
        "inakzeptabel",
        "unverschämt",
        "lächerlich",
        "ärgerlich",
        "wütend",
        "frustriert",
        "enttäuscht",
        "niemand antwortet",
        "kündigen",
    ],
    "pt": [
        "de novo",
        "novamente",
        "ainda não",
        "terceira vez",
        "inaceitável",
        "ridículo",
        "absurdo",
        "cansado",
        "frustrado",
        "frustrada",
        "péssimo",
        "ninguém responde",
        "cancelar",
    ],
    "ja": ["また", "何度も", "最悪", "ひどい", "いい加減", "まだ直って", "三回目", "解約"],
    "zh-hans": ["又", "再次", "太差", "第三次", "无法接受", "气愤", "失望", "还是不行", "取消"],
}

SECURITY = {
    "en": [
        "security",
        "breach",
        "hacked",
        "phishing",
        "vulnerability",
        "unauthorized",
        "unauthorised",
        "leaked",
        "compromised",
        "data leak",
        "malware",
        "ransomware",
        "suspicious login",
        "stolen",
    ],
    "es": ["seguridad", "hackeado", "hackeada", "vulnerabilidad", "no autorizado", "filtración", "robado"],
    "fr": ["sécurité", "piraté", "piratage", "faille", "vulnérabilité", "non autorisé", "fuite de données"],
    "de": ["sicherheit", "gehackt", "sicherheitslücke", "unbefugt", "datenleck", "phishing"],
    "pt": ["segurança", "hackeado", "hackeada", "invadida", "vulnerabilidade", "vazamento", "não autorizado"],
    "ja": ["セキュリティ", "不正アクセス", "脆弱性", "乗っ取", "情報漏洩", "フィッシング"],
    "zh-hans": ["安全漏洞", "被盗", "黑客", "未经授权", "泄露", "钓鱼"],
}


def words(text):
    return WORD.findall((text or "").lower())


def padded_words(text):
    """Lowercased words joined by single spaces, with a space at each end, for whole-word phrase search."""
    return " " + " ".join(words(text)) + " "


def has_phrase(phrase, padded, raw):
    """A phrase as whole words (Latin scripts) or as a substring (CJK, which has no spaces)."""
    if KANA.search(phrase) or HAN.search(phrase):
        return phrase in raw
    return f" {phrase} " in padded


@dataclass(frozen=True)
class Language:
    code: str
    confidence: float


def detect_language(text):
    """The language of `text` as one of our codes with a rough confidence, or None when unsure."""
    text = text or ""
    kana = len(KANA.findall(text))
    han = len(HAN.findall(text))
    if kana >= 2:
        return Language("ja", 0.95)
    if han >= 2:
        return Language("zh-hans", 0.9)
    tokens = words(text)
    if not tokens:
        return None
    scores = dict.fromkeys(FUNCTION_WORDS, 0.0)
    for token in tokens:
        for code, vocabulary in _VOCABULARY.items():
            if token in vocabulary:
                scores[code] += 1
    lowered = text.lower()
    for code, letters in TELL_TALES.items():
        scores[code] += 1.5 * sum(lowered.count(letter) for letter in letters)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_second, runner_up) = ranked[0], ranked[1]
    if top < 2 or top - runner_up < 1:
        return None
    return Language(best, round(min(0.99, top / (top + runner_up + 1)), 2))


_VOCABULARY = {code: frozenset(listed) for code, listed in FUNCTION_WORDS.items()}


def frustration_signals(text):
    """The signs of an unhappy customer found in `text`, as short labels (phrases, shouting, '!!!')."""
    text = text or ""
    padded = padded_words(text)
    found = []
    for phrases in FRUSTRATION.values():
        for phrase in phrases:
            if has_phrase(phrase, padded, text) and phrase not in found:
                found.append(phrase)
    letters = [ch for ch in text if ch.isalpha() and ch.isascii()]
    if len(letters) >= 12 and sum(ch.isupper() for ch in letters) / len(letters) > 0.6:
        found.append("ALL CAPS")
    if "!!!" in text or "！！" in text:
        found.append("!!!")
    return found


def security_words(text):
    """Security words found in `text`."""
    text = text or ""
    padded = padded_words(text)
    lowered = text.lower()
    return [phrase for phrases in SECURITY.values() for phrase in phrases if has_phrase(phrase, padded, lowered)]
