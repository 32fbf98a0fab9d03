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


# Words that point at technical work (integration, infrastructure, an error to dig into), in our languages.
TECHNICAL = {
    "en": [
        "api",
        "webhook",
        "integration",
        "sso",
        "saml",
        "oauth",
        "dns",
        "ssl",
        "certificate",
        "timeout",
        "latency",
        "database",
        "server",
        "configuration",
        "stack trace",
        "exception",
        "error code",
        "status code",
        "endpoint",
        "sdk",
        "firewall",
        "proxy",
        "migration",
        "script",
        "logs",
    ],
    "es": ["integración", "servidor", "base de datos", "configuración", "certificado", "código de error", "registros"],
    "fr": ["intégration", "serveur", "base de données", "certificat", "code d'erreur", "journaux"],
    "de": ["schnittstelle", "integration", "datenbank", "zertifikat", "fehlercode", "konfiguration"],
    "pt": ["integração", "servidor", "banco de dados", "certificado", "código de erro", "configuração"],
    "ja": ["エラーコード", "サーバー", "データベース", "証明書", "連携"],
    "zh-hans": ["错误代码", "服务器", "数据库", "证书", "接口"],
}
# Pasted error output or code: a traceback, an exception name, an HTTP status, a code block.
ERROR_OUTPUT = re.compile(
    r"traceback \(most recent call last\)|\b\w+(?:exception|error):|\bhttp\s?[45]\d\d\b|```|^\s+at \S+\(",
    re.IGNORECASE | re.MULTILINE,
)
QUESTION = re.compile(r"[?？]+")


def complexity_signals(text, *, attachments=0, long_words=150):
    """What makes a ticket look like more work, as [(code, params, weight)] (see helpdesk.triage.reasons).

    A long message (twice as long weighs double), three or more questions,
    attachments, technical terms (four or more weigh double), and pasted
    error output or code. The weights add up to the ticket's complexity.
    """
    text = text or ""
    found = []
    count = len(words(text))
    if count >= long_words:
        found.append(("long", {"words": count}, 2 if count >= 2 * long_words else 1))
    questions = len(QUESTION.findall(text))
    if questions >= 3:
        found.append(("questions", {"n": questions}, 1))
    if attachments:
        found.append(("attachments", {"n": attachments}, 2 if attachments >= 3 else 1))
    padded, lowered = padded_words(text), text.lower()
    listed = (phrase for phrases in TECHNICAL.values() for phrase in phrases)
    terms = list(dict.fromkeys(phrase for phrase in listed if has_phrase(phrase, padded, lowered)))
    if len(terms) >= 2:
        found.append(("technical", {"terms": ", ".join(terms[:5])}, 2 if len(terms) >= 4 else 1))
    if ERROR_OUTPUT.search(text):
        found.append(("error_output", {}, 1))
    return found


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
