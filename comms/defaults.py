"""A starting set of message templates in several languages, installed once and then owned by admins.

Languages without a text fall back to English when rendered (and the agent is
told). Running `install_default_templates` again never overwrites an edit.
"""

from .models import ChannelRule, MessageTemplate

# slug: (kind, name, {language: (subject, body)})
TEMPLATES = {
    "ticket-received": (
        "ticket_ack",
        "Ticket received",
        {
            "en": (
                "[{{ ticket_ref }}] We have your request: {{ ticket_subject }}",
                "Hello {{ customer_name }},\n\nThank you for writing to us. Your request is logged as "
                "{{ ticket_ref }} and a member of our team will answer soon.\n\n"
                "Follow it or add details here: {{ ticket_url }}\n",
            ),
            "es": (
                "[{{ ticket_ref }}] Hemos recibido su solicitud: {{ ticket_subject }}",
                "Hola {{ customer_name }}:\n\nGracias por escribirnos. Su solicitud quedó registrada como "
                "{{ ticket_ref }} y alguien de nuestro equipo le responderá pronto.\n\n"
                "Puede seguirla o añadir detalles aquí: {{ ticket_url }}\n",
            ),
            "fr": (
                "[{{ ticket_ref }}] Nous avons bien reçu votre demande : {{ ticket_subject }}",
                "Bonjour {{ customer_name }},\n\nMerci de nous avoir écrit. Votre demande porte la référence "
                "{{ ticket_ref }} ; un membre de l'équipe vous répondra bientôt.\n\n"
                "Suivez-la ou complétez-la ici : {{ ticket_url }}\n",
            ),
            "de": (
                "[{{ ticket_ref }}] Ihre Anfrage ist bei uns: {{ ticket_subject }}",
                "Hallo {{ customer_name }},\n\ndanke für Ihre Nachricht. Ihre Anfrage hat die Nummer "
                "{{ ticket_ref }}; jemand aus unserem Team meldet sich in Kürze.\n\n"
                "Verfolgen oder ergänzen Sie sie hier: {{ ticket_url }}\n",
            ),
            "pt": (
                "[{{ ticket_ref }}] Recebemos o seu pedido: {{ ticket_subject }}",
                "Olá {{ customer_name }},\n\nObrigado pelo contacto. O seu pedido ficou registado como "
                "{{ ticket_ref }} e alguém da nossa equipa responderá em breve.\n\n"
                "Acompanhe-o ou acrescente detalhes aqui: {{ ticket_url }}\n",
            ),
        },
    ),
    "need-more-details": (
        "reply",
        "Ask for more details",
        {
            "en": (
                "[{{ ticket_ref }}] A few details, please",
                "Hello {{ customer_name }},\n\nTo find the cause quickly, could you tell us when it last worked, "
                "what you see on screen (a screenshot helps) and which browser or app version you use?\n\n"
                "{{ agent_name }}\n",
            ),
            "es": (
                "[{{ ticket_ref }}] Necesitamos algunos detalles",
                "Hola {{ customer_name }}:\n\nPara encontrar la causa rápido, ¿podría decirnos cuándo funcionó por "
                "última vez, qué ve en pantalla (una captura ayuda) y qué navegador o versión de la aplicación usa?"
                "\n\n{{ agent_name }}\n",
            ),
            "fr": (
                "[{{ ticket_ref }}] Quelques précisions, s'il vous plaît",
                "Bonjour {{ customer_name }},\n\nPour trouver rapidement la cause, pourriez-vous nous dire quand cela "
                "a fonctionné pour la dernière fois, ce que vous voyez à l'écran (une capture aide) et quel "
                "navigateur ou quelle version de l'application vous utilisez ?\n\n{{ agent_name }}\n",
            ),
            "de": (
                "[{{ ticket_ref }}] Ein paar Angaben, bitte",
                "Hallo {{ customer_name }},\n\ndamit wir die Ursache schnell finden: Wann hat es zuletzt "
                "funktioniert, was sehen Sie auf dem Bildschirm (ein Screenshot hilft) und welchen Browser oder "
                "welche App-Version nutzen Sie?\n\n{{ agent_name }}\n",
            ),
        },
    ),
    "resolved": (
        "resolution",
        "Ticket resolved",
        {
            "en": (
                "[{{ ticket_ref }}] Resolved: {{ ticket_subject }}",
                "Hello {{ customer_name }},\n\nWe have resolved {{ ticket_ref }}. If anything is still not right, "
                "reply to this message and the ticket opens again.\n\n{{ agent_name }}\n",
            ),
            "es": (
                "[{{ ticket_ref }}] Resuelto: {{ ticket_subject }}",
                "Hola {{ customer_name }}:\n\nHemos resuelto {{ ticket_ref }}. Si algo sigue sin funcionar, "
                "responda a este mensaje y el ticket se abrirá de nuevo.\n\n{{ agent_name }}\n",
            ),
        },
    ),
    "escalated-to-you": (
        "escalation_notice",
        "Escalation notice",
        {
            "en": (
                "[{{ ticket_ref }}] Escalated to {{ to_level }}",
                "{{ ticket_ref }} ({{ organization }}) moved from {{ from_level }} to {{ to_level }}.\n"
                "Why: {{ reason }}\nPriority: {{ priority }}\n\n{{ site_url }}\n",
            ),
        },
    ),
}


def install_default_templates():
    """Create the templates that do not exist yet; returns how many were created."""
    created = 0
    for slug, (kind, name, texts) in TEMPLATES.items():
        if MessageTemplate.objects.filter(slug=slug).exists():
            continue
        fields = {}
        for language, (subject, body) in texts.items():
            suffix = language.replace("-", "_")
            fields[f"subject_{suffix}"] = subject
            fields[f"body_{suffix}"] = body
        template = MessageTemplate(kind=kind, name=name, slug=slug, **fields)
        template.full_clean()
        template.save()
        created += 1
    return created


# Seed 000's channel matrix: the more severe, the more channels.
CHANNEL_RULES = {
    "p1": (["phone", "sms", "email", "portal"], True, True),
    "p2": (["sms", "email", "portal"], True, False),
    "p3": (["email", "portal"], True, False),
    "p4": (["email", "portal"], False, False),
    "routine": (["email", "portal"], False, False),
}


def install_default_channel_rules():
    """Create the channel rules that do not exist yet; returns how many were created."""
    created = 0
    for severity, (channels, preferred, backup) in CHANNEL_RULES.items():
        _rule, made = ChannelRule.objects.get_or_create(
            severity=severity, defaults={"channels": channels, "add_preferred": preferred, "add_backup": backup}
        )
        created += made
    return created


# --- feedback surveys (issue 8) -------------------------------------------------------------------
# Kept as one block at the end so it merges cleanly with other edits above. The feedback app renders
# these by slug (its survey kind); `{{ answer_links }}` holds one link per answer.
TEMPLATES.update(
    {
        "csat": (
            "survey_invitation",
            "Satisfaction survey (CSAT)",
            {
                "en": (
                    "[{{ ticket_ref }}] How did we do?",
                    "Hello {{ customer_name }},\n\nWe have resolved {{ ticket_ref }} ({{ ticket_subject }}). "
                    "How satisfied are you with the help you received? One click is enough:\n\n"
                    "{{ answer_links }}\n\nYou can also rate our speed, clarity, effectiveness and "
                    "professionalism, or leave a comment, on the same page: {{ survey_url }}\n\n"
                    "The links work until {{ expires_on }}. No more surveys: {{ opt_out_url }}\n",
                ),
                "es": (
                    "[{{ ticket_ref }}] ¿Qué tal lo hicimos?",
                    "Hola {{ customer_name }}:\n\nHemos resuelto {{ ticket_ref }} ({{ ticket_subject }}). "
                    "¿Cuán satisfecho está con la ayuda recibida? Basta un clic:\n\n"
                    "{{ answer_links }}\n\nEn la misma página puede valorar también nuestra rapidez, claridad, "
                    "eficacia y profesionalidad, o dejar un comentario: {{ survey_url }}\n\n"
                    "Los enlaces funcionan hasta el {{ expires_on }}. No recibir más encuestas: {{ opt_out_url }}\n",
                ),
                "fr": (
                    "[{{ ticket_ref }}] Comment avons-nous fait ?",
                    "Bonjour {{ customer_name }},\n\nNous avons résolu {{ ticket_ref }} ({{ ticket_subject }}). "
                    "Êtes-vous satisfait de l'aide reçue ? Un clic suffit :\n\n"
                    "{{ answer_links }}\n\nSur la même page, vous pouvez aussi noter notre rapidité, notre clarté, "
                    "notre efficacité et notre professionnalisme, ou laisser un commentaire : {{ survey_url }}\n\n"
                    "Les liens sont valables jusqu'au {{ expires_on }}. Ne plus recevoir d'enquêtes : "
                    "{{ opt_out_url }}\n",
                ),
                "de": (
                    "[{{ ticket_ref }}] Wie zufrieden waren Sie?",
                    "Hallo {{ customer_name }},\n\nwir haben {{ ticket_ref }} ({{ ticket_subject }}) gelöst. "
                    "Wie zufrieden sind Sie mit unserer Hilfe? Ein Klick genügt:\n\n"
                    "{{ answer_links }}\n\nAuf derselben Seite können Sie auch Tempo, Verständlichkeit, Wirksamkeit "
                    "und Professionalität bewerten oder einen Kommentar hinterlassen: {{ survey_url }}\n\n"
                    "Die Links gelten bis {{ expires_on }}. Keine Umfragen mehr: {{ opt_out_url }}\n",
                ),
                "zh-hans": (
                    "[{{ ticket_ref }}] 您对我们的服务满意吗？",
                    "{{ customer_name }}，您好：\n\n我们已解决 {{ ticket_ref }}（{{ ticket_subject }}）。"
                    "您对获得的帮助满意吗？点击一次即可：\n\n"
                    "{{ answer_links }}\n\n您也可以在同一页面为我们的速度、清晰度、有效性和专业性打分，或留下评论："
                    "{{ survey_url }}\n\n链接有效期至 {{ expires_on }}。不再接收调查：{{ opt_out_url }}\n",
                ),
                "ja": (
                    "[{{ ticket_ref }}] サポートはいかがでしたか？",
                    "{{ customer_name }} 様\n\n{{ ticket_ref }}（{{ ticket_subject }}）を解決しました。"
                    "今回のサポートにどの程度ご満足いただけましたか？ワンクリックでご回答いただけます。\n\n"
                    "{{ answer_links }}\n\n同じページで、対応の速さ・分かりやすさ・効果・丁寧さの評価やコメントも"
                    "お寄せいただけます：{{ survey_url }}\n\nリンクの有効期限は {{ expires_on }} です。"
                    "今後アンケートを受け取らない：{{ opt_out_url }}\n",
                ),
                "pt": (
                    "[{{ ticket_ref }}] Como nos saímos?",
                    "Olá {{ customer_name }},\n\nResolvemos {{ ticket_ref }} ({{ ticket_subject }}). "
                    "Qual é a sua satisfação com a ajuda recebida? Basta um clique:\n\n"
                    "{{ answer_links }}\n\nNa mesma página pode também avaliar a nossa rapidez, clareza, eficácia e "
                    "profissionalismo, ou deixar um comentário: {{ survey_url }}\n\n"
                    "As ligações são válidas até {{ expires_on }}. Não receber mais inquéritos: {{ opt_out_url }}\n",
                ),
            },
        ),
        "nps": (
            "survey_invitation",
            "Recommendation survey (NPS)",
            {
                "en": (
                    "Would you recommend us?",
                    "Hello {{ customer_name }},\n\nHow likely are you to recommend us to a friend or colleague, "
                    "from 0 (not at all) to 10 (very likely)? Click your answer:\n\n{{ answer_links }}\n\n"
                    "On the page that opens you can tell us why: {{ survey_url }}\n\n"
                    "The links work until {{ expires_on }}. No more surveys: {{ opt_out_url }}\n",
                ),
                "es": (
                    "¿Nos recomendaría?",
                    "Hola {{ customer_name }}:\n\n¿Qué probabilidad hay de que nos recomiende a un amigo o colega, "
                    "de 0 (ninguna) a 10 (muy alta)? Haga clic en su respuesta:\n\n{{ answer_links }}\n\n"
                    "En la página que se abre puede contarnos por qué: {{ survey_url }}\n\n"
                    "Los enlaces funcionan hasta el {{ expires_on }}. No recibir más encuestas: {{ opt_out_url }}\n",
                ),
                "fr": (
                    "Nous recommanderiez-vous ?",
                    "Bonjour {{ customer_name }},\n\nQuelle est la probabilité que vous nous recommandiez à un ami ou "
                    "un collègue, de 0 (aucune) à 10 (très forte) ? Cliquez sur votre réponse :\n\n"
                    "{{ answer_links }}\n\nSur la page qui s'ouvre, vous pourrez nous dire pourquoi : "
                    "{{ survey_url }}\n\nLes liens sont valables jusqu'au {{ expires_on }}. "
                    "Ne plus recevoir d'enquêtes : {{ opt_out_url }}\n",
                ),
                "de": (
                    "Würden Sie uns weiterempfehlen?",
                    "Hallo {{ customer_name }},\n\nwie wahrscheinlich ist es, dass Sie uns einem Freund oder "
                    "Kollegen empfehlen, von 0 (gar nicht) bis 10 (sehr wahrscheinlich)? Klicken Sie Ihre "
                    "Antwort an:\n\n{{ answer_links }}\n\nAuf der folgenden Seite können Sie uns den Grund "
                    "nennen: {{ survey_url }}\n\nDie Links gelten bis {{ expires_on }}. Keine Umfragen mehr: "
                    "{{ opt_out_url }}\n",
                ),
                "zh-hans": (
                    "您愿意推荐我们吗？",
                    "{{ customer_name }}，您好：\n\n从 0（完全不会）到 10（非常可能），"
                    "您向朋友或同事推荐我们的可能性有多大？"
                    "请点击您的答案：\n\n{{ answer_links }}\n\n在打开的页面上可以告诉我们原因：{{ survey_url }}\n\n"
                    "链接有效期至 {{ expires_on }}。不再接收调查：{{ opt_out_url }}\n",
                ),
                "ja": (
                    "私たちを推薦していただけますか？",
                    "{{ customer_name }} 様\n\n私たちをご友人や同僚に薦める可能性はどのくらいですか？"
                    "0（まったくない）から 10（非常に高い）でお選びください。\n\n{{ answer_links }}\n\n"
                    "開いたページで理由もお聞かせください：{{ survey_url }}\n\n"
                    "リンクの有効期限は {{ expires_on }} です。今後アンケートを受け取らない：{{ opt_out_url }}\n",
                ),
                "pt": (
                    "Recomendaria os nossos serviços?",
                    "Olá {{ customer_name }},\n\nQual a probabilidade de nos recomendar a um amigo ou colega, "
                    "de 0 (nenhuma) a 10 (muito provável)? Clique na sua resposta:\n\n{{ answer_links }}\n\n"
                    "Na página que se abre pode dizer-nos porquê: {{ survey_url }}\n\n"
                    "As ligações são válidas até {{ expires_on }}. Não receber mais inquéritos: {{ opt_out_url }}\n",
                ),
            },
        ),
        "pulse": (
            "survey_invitation",
            "Quick rating after a chat",
            {
                "en": (
                    "[{{ ticket_ref }}] Was this chat helpful?",
                    "Hello {{ customer_name }},\n\nWas our chat about {{ ticket_subject }} helpful?\n\n"
                    "{{ answer_links }}\n\nNo more surveys: {{ opt_out_url }}\n",
                ),
                "es": (
                    "[{{ ticket_ref }}] ¿Le ayudó este chat?",
                    "Hola {{ customer_name }}:\n\n¿Le resultó útil nuestro chat sobre {{ ticket_subject }}?\n\n"
                    "{{ answer_links }}\n\nNo recibir más encuestas: {{ opt_out_url }}\n",
                ),
                "fr": (
                    "[{{ ticket_ref }}] Cette discussion vous a-t-elle aidé ?",
                    "Bonjour {{ customer_name }},\n\nNotre discussion sur {{ ticket_subject }} vous a-t-elle "
                    "été utile ?\n\n{{ answer_links }}\n\nNe plus recevoir d'enquêtes : {{ opt_out_url }}\n",
                ),
                "de": (
                    "[{{ ticket_ref }}] War der Chat hilfreich?",
                    "Hallo {{ customer_name }},\n\nwar unser Chat zu {{ ticket_subject }} hilfreich?\n\n"
                    "{{ answer_links }}\n\nKeine Umfragen mehr: {{ opt_out_url }}\n",
                ),
                "zh-hans": (
                    "[{{ ticket_ref }}] 这次聊天对您有帮助吗？",
                    "{{ customer_name }}，您好：\n\n关于“{{ ticket_subject }}”的聊天对您有帮助吗？\n\n"
                    "{{ answer_links }}\n\n不再接收调查：{{ opt_out_url }}\n",
                ),
                "ja": (
                    "[{{ ticket_ref }}] チャットはお役に立ちましたか？",
                    "{{ customer_name }} 様\n\n「{{ ticket_subject }}」についてのチャットはお役に立ちましたか？\n\n"
                    "{{ answer_links }}\n\n今後アンケートを受け取らない：{{ opt_out_url }}\n",
                ),
                "pt": (
                    "[{{ ticket_ref }}] Esta conversa ajudou?",
                    "Olá {{ customer_name }},\n\nA nossa conversa sobre {{ ticket_subject }} foi útil?\n\n"
                    "{{ answer_links }}\n\nNão receber mais inquéritos: {{ opt_out_url }}\n",
                ),
            },
        ),
    }
)
