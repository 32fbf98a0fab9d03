"""Starting themes and review checklist, installed once by a data migration and then owned by admins.

The themes follow the playbooks' four feedback categories; the checklist
follows their QA review criteria. Running the install again never overwrites
an edit.
"""

# slug: (position, {language: (name, keywords)})
THEMES = {
    "technical": (
        10,
        {
            "en": ("Technical", "bug, error, crash, broken, slow, outage, login, sign in, install, api, sync"),
            "es": ("Técnico", "error, fallo, caída, lento, no funciona, iniciar sesión, instalar"),
            "fr": ("Technique", "bug, erreur, panne, lent, ne fonctionne pas, connexion, installer"),
            "de": ("Technik", "fehler, absturz, defekt, langsam, ausfall, anmelden, installieren"),
            "zh-hans": ("技术", "错误, 崩溃, 故障, 慢, 登录, 安装"),
            "ja": ("技術", "エラー, 不具合, クラッシュ, 遅い, ログイン, インストール"),
            "pt": ("Técnico", "erro, falha, lento, não funciona, iniciar sessão, instalar"),
        },
    ),
    "billing": (
        20,
        {
            "en": ("Billing", "invoice, bill, charge, refund, payment, price, subscription, credit card"),
            "es": ("Facturación", "factura, cobro, reembolso, pago, precio, suscripción"),
            "fr": ("Facturation", "facture, prélèvement, remboursement, paiement, prix, abonnement"),
            "de": ("Abrechnung", "rechnung, abbuchung, erstattung, zahlung, preis, abonnement"),
            "zh-hans": ("账单", "发票, 扣费, 退款, 付款, 价格, 订阅"),
            "ja": ("請求", "請求書, 請求, 返金, 支払い, 料金, サブスクリプション"),
            "pt": ("Faturação", "fatura, cobrança, reembolso, pagamento, preço, subscrição"),
        },
    ),
    "product": (
        30,
        {
            "en": ("Product", "feature, missing, wish, would like, option, design, confusing, usability"),
            "es": ("Producto", "función, falta, me gustaría, opción, diseño, confuso"),
            "fr": ("Produit", "fonctionnalité, manque, j'aimerais, option, design, confus"),
            "de": ("Produkt", "funktion, fehlt, wunsch, option, design, verwirrend"),
            "zh-hans": ("产品", "功能, 缺少, 希望, 选项, 设计, 难用"),
            "ja": ("製品", "機能, 足りない, 要望, オプション, デザイン, 分かりにくい"),
            "pt": ("Produto", "funcionalidade, falta, gostaria, opção, design, confuso"),
        },
    ),
    "service": (
        40,
        {
            "en": ("Service quality", "rude, wait, waited, slow answer, no answer, unhelpful, ignored, again, twice"),
            "es": ("Calidad del servicio", "grosero, esperar, esperé, sin respuesta, inútil, otra vez"),
            "fr": ("Qualité du service", "impoli, attendre, attendu, pas de réponse, inutile, encore"),
            "de": ("Servicequalität", "unhöflich, warten, gewartet, keine antwort, nicht hilfreich, schon wieder"),
            "zh-hans": ("服务质量", "不礼貌, 等待, 没有回复, 没有帮助, 又"),
            "ja": ("サービス品質", "失礼, 待たされ, 返事がない, 役に立たない, また"),
            "pt": ("Qualidade do serviço", "mal-educado, esperar, esperei, sem resposta, inútil, outra vez"),
        },
    ),
}

# slug: (position, scale, {language: name})
CRITERIA = {
    "correct-information": (
        10,
        "score",
        {
            "en": "Correct information",
            "es": "Información correcta",
            "fr": "Informations exactes",
            "de": "Richtige Informationen",
            "zh-hans": "信息准确",
            "ja": "正確な情報",
            "pt": "Informação correta",
        },
    ),
    "tone": (
        20,
        "score",
        {
            "en": "Professional, empathetic tone",
            "es": "Tono profesional y empático",
            "fr": "Ton professionnel et empathique",
            "de": "Professioneller, einfühlsamer Ton",
            "zh-hans": "专业且有同理心的语气",
            "ja": "丁寧で共感のある対応",
            "pt": "Tom profissional e empático",
        },
    ),
    "complete-resolution": (
        30,
        "score",
        {
            "en": "Complete resolution",
            "es": "Resolución completa",
            "fr": "Résolution complète",
            "de": "Vollständige Lösung",
            "zh-hans": "问题彻底解决",
            "ja": "完全な解決",
            "pt": "Resolução completa",
        },
    ),
    "documentation": (
        40,
        "pass_fail",
        {
            "en": "Proper documentation",
            "es": "Documentación adecuada",
            "fr": "Documentation soignée",
            "de": "Saubere Dokumentation",
            "zh-hans": "记录完整规范",
            "ja": "適切な記録",
            "pt": "Documentação adequada",
        },
    ),
    "sla-met": (
        50,
        "pass_fail",
        {
            "en": "SLA met",
            "es": "SLA cumplido",
            "fr": "SLA respecté",
            "de": "SLA eingehalten",
            "zh-hans": "符合 SLA",
            "ja": "SLA 遵守",
            "pt": "SLA cumprido",
        },
    ),
    "writing": (
        60,
        "score",
        {
            "en": "Grammar and formatting",
            "es": "Gramática y formato",
            "fr": "Grammaire et mise en forme",
            "de": "Grammatik und Formatierung",
            "zh-hans": "语法与排版",
            "ja": "文法と書式",
            "pt": "Gramática e formatação",
        },
    ),
}


def _suffix(language):
    return language.replace("-", "_")


def install_defaults(theme_model, criterion_model):
    """Create the themes and criteria that do not exist yet (by slug); returns how many were created."""
    created = 0
    for slug, (position, texts) in THEMES.items():
        fields = {"position": position, "name": texts["en"][0], "keywords": texts["en"][1]}
        for language, (name, keywords) in texts.items():
            fields[f"name_{_suffix(language)}"] = name
            fields[f"keywords_{_suffix(language)}"] = keywords
        _obj, made = theme_model.objects.get_or_create(slug=slug, defaults=fields)
        created += made
    for slug, (position, scale, names) in CRITERIA.items():
        fields = {"position": position, "scale": scale, "name": names["en"]}
        fields.update({f"name_{_suffix(language)}": name for language, name in names.items()})
        _obj, made = criterion_model.objects.get_or_create(slug=slug, defaults=fields)
        created += made
    return created


def fill_criterion_names(criterion_model):
    """Give the default checklist lines their names in languages still left empty; returns rows changed.

    For databases installed before every language had a name: an admin's
    wording is never replaced, only blanks are filled.
    """
    changed = 0
    for criterion in criterion_model.objects.filter(slug__in=list(CRITERIA)):
        names = CRITERIA[criterion.slug][2]
        blanks = [
            f"name_{_suffix(language)}"
            for language in names
            if not getattr(criterion, f"name_{_suffix(language)}", None)
        ]
        for field in blanks:
            setattr(criterion, field, names[field.removeprefix("name_").replace("_", "-")])
        if blanks:
            criterion.save(update_fields=blanks)
            changed += 1
    return changed
