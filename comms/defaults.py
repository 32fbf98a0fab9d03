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
            "zh-hans": (
                "[{{ ticket_ref }}] 我们已收到您的请求：{{ ticket_subject }}",
                "{{ customer_name }}，您好：\n\n感谢您联系我们。您的请求编号为 {{ ticket_ref }}，"
                "我们的团队会尽快回复您。\n\n您可以在这里查看进度或补充信息：{{ ticket_url }}\n",
            ),
            "ja": (
                "[{{ ticket_ref }}] お問い合わせを受け付けました：{{ ticket_subject }}",
                "{{ customer_name }} 様\n\nお問い合わせいただきありがとうございます。受付番号は {{ ticket_ref }} です。"
                "担当者より追ってご連絡いたします。\n\n進捗の確認や情報の追加はこちらから：{{ ticket_url }}\n",
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
    "confirm-fix": (
        "reply",
        "Confirm the fix",
        {
            "en": (
                "[{{ ticket_ref }}] This should be fixed now",
                "Hello {{ customer_name }},\n\nWe have made a change that should fix this. Could you check on your "
                "side? If it still happens, just reply here and we will pick it up again straight away.\n\n"
                "{{ agent_name }}\n",
            ),
            "es": (
                "[{{ ticket_ref }}] Ya debería estar resuelto",
                "Hola {{ customer_name }}:\n\nHemos aplicado un cambio que debería solucionarlo. ¿Puede comprobarlo? "
                "Si vuelve a ocurrir, responda aquí y lo retomamos de inmediato.\n\n{{ agent_name }}\n",
            ),
            "fr": (
                "[{{ ticket_ref }}] Cela devrait être corrigé",
                "Bonjour {{ customer_name }},\n\nNous avons apporté une modification qui devrait régler le problème. "
                "Pouvez-vous vérifier de votre côté ? S'il persiste, répondez ici et nous reprenons aussitôt.\n\n"
                "{{ agent_name }}\n",
            ),
            "de": (
                "[{{ ticket_ref }}] Das sollte jetzt behoben sein",
                "Hallo {{ customer_name }},\n\nwir haben eine Änderung vorgenommen, die das Problem beheben sollte. "
                "Können Sie es bei sich prüfen? Falls es wieder auftritt, antworten Sie einfach hier.\n\n"
                "{{ agent_name }}\n",
            ),
            "zh-hans": (
                "[{{ ticket_ref }}] 问题应已解决",
                "{{ customer_name }}，您好：\n\n我们已做出调整，应该可以解决这个问题。请您确认一下。"
                "如果问题仍然存在，直接回复即可，我们会马上继续处理。\n\n{{ agent_name }}\n",
            ),
            "ja": (
                "[{{ ticket_ref }}] 修正が完了したはずです",
                "{{ customer_name }} 様\n\n問題を解消するための変更を行いました。お手数ですがご確認ください。"
                "まだ発生する場合は、こちらにご返信いただければすぐに対応を再開します。\n\n{{ agent_name }}\n",
            ),
            "pt": (
                "[{{ ticket_ref }}] Já deve estar resolvido",
                "Olá {{ customer_name }},\n\nFizemos uma alteração que deve resolver o problema. Pode confirmar do seu "
                "lado? Se voltar a acontecer, responda aqui e retomamos de imediato.\n\n{{ agent_name }}\n",
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
                "[{{ ticket_ref }}] Escalated to {{ to_level }}: {{ ticket_subject }}",
                "Hello {{ recipient_name }},\n\n{{ ticket_ref }} ({{ organization }}, priority {{ priority }}) "
                "was handed from {{ from_level }} to {{ to_level }}.\n"
                "{{ handoff_kind }} {{ handed_by }}\nAcknowledge it by: {{ acknowledge_by }}\n\n"
                "Summary:\n{{ summary }}\n\nCustomer impact:\n{{ impact }}\n\n"
                "Steps already tried:\n{{ steps_tried }}\n\nProposed next step:\n{{ next_step }}\n\n"
                "Open the ticket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
    "escalation-summary": (
        "escalation_summary",
        "Escalation summary for managers",
        {
            "en": (
                "[{{ ticket_ref }}] {{ organization }} escalated to {{ to_level }}",
                "{{ ticket_ref }} ({{ organization }}, {{ tier }} tier) reached {{ to_level }}.\n"
                "Priority: {{ priority }}\nSummary: {{ summary }}\n\n{{ ticket_agent_url }}\n",
            ),
        },
    ),
    "agent-replied": (
        "reply_notice",
        "New reply, emailed to the customer",
        {
            "en": (
                "[{{ ticket_ref }}] New reply: {{ ticket_subject }}",
                "Hello {{ customer_name }},\n\n{{ author_name }} answered your request {{ ticket_ref }}:\n\n"
                "{{ message_body }}\n\nTo reply or read the whole conversation: {{ ticket_url }}\n",
            ),
            "es": (
                "[{{ ticket_ref }}] Nueva respuesta: {{ ticket_subject }}",
                "Hola {{ customer_name }}:\n\n{{ author_name }} ha respondido a su solicitud {{ ticket_ref }}:\n\n"
                "{{ message_body }}\n\nPara responder o leer toda la conversación: {{ ticket_url }}\n",
            ),
            "fr": (
                "[{{ ticket_ref }}] Nouvelle réponse : {{ ticket_subject }}",
                "Bonjour {{ customer_name }},\n\n{{ author_name }} a répondu à votre demande {{ ticket_ref }} :\n\n"
                "{{ message_body }}\n\nPour répondre ou relire l'échange complet : {{ ticket_url }}\n",
            ),
            "de": (
                "[{{ ticket_ref }}] Neue Antwort: {{ ticket_subject }}",
                "Hallo {{ customer_name }},\n\n{{ author_name }} hat auf Ihre Anfrage {{ ticket_ref }} geantwortet:"
                "\n\n{{ message_body }}\n\nAntworten oder den ganzen Verlauf lesen: {{ ticket_url }}\n",
            ),
            "zh-hans": (
                "[{{ ticket_ref }}] 新回复：{{ ticket_subject }}",
                "{{ customer_name }}，您好：\n\n{{ author_name }} 回复了您的请求 {{ ticket_ref }}：\n\n"
                "{{ message_body }}\n\n回复或查看完整对话：{{ ticket_url }}\n",
            ),
            "ja": (
                "[{{ ticket_ref }}] 新しい返信：{{ ticket_subject }}",
                "{{ customer_name }} 様\n\n{{ author_name }} がお問い合わせ {{ ticket_ref }} に返信しました：\n\n"
                "{{ message_body }}\n\n返信ややり取りの全文はこちら：{{ ticket_url }}\n",
            ),
            "pt": (
                "[{{ ticket_ref }}] Nova resposta: {{ ticket_subject }}",
                "Olá {{ customer_name }},\n\n{{ author_name }} respondeu ao seu pedido {{ ticket_ref }}:\n\n"
                "{{ message_body }}\n\nPara responder ou ler a conversa completa: {{ ticket_url }}\n",
            ),
        },
    ),
    "customer-replied": (
        "customer_reply_notice",
        "Customer reply, emailed to the assignee",
        {
            "en": (
                "[{{ ticket_ref }}] Customer replied: {{ ticket_subject }}",
                "{{ author_name }} ({{ organization }}) wrote on {{ ticket_ref }}:\n\n{{ message_body }}\n\n"
                "Open the ticket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
    "escalation-requested": (
        "escalation_request",
        "Customer asks for escalation",
        {
            "en": (
                "[{{ ticket_ref }}] Customer asks for escalation: {{ ticket_subject }}",
                "{{ customer_name }} ({{ organization }}) asked for {{ ticket_ref }} to be escalated:\n\n"
                "{{ reason }}\n\nAnswer the request on the ticket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
    "sla-warning-digest": (
        "sla_digest",
        "SLA targets nearly used (digest)",
        {
            "en": (
                "{{ ticket_count }} × SLA target nearly used",
                "Hello {{ recipient_name }},\n\nThese targets are nearly used up:\n\n{{ ticket_lines }}\n\n"
                "Everything breaching soon: {{ breaching_url }}\n",
            ),
        },
    ),
    "sla-breach-digest": (
        "sla_digest",
        "SLA targets breached (digest)",
        {
            "en": (
                "{{ ticket_count }} × SLA target breached",
                "Hello {{ recipient_name }},\n\nThese targets were missed:\n\n{{ ticket_lines }}\n\n"
                "Everything breaching soon: {{ breaching_url }}\n",
            ),
        },
    ),
    "time-escalation-digest": (
        "escalation_digest",
        "Tickets escalated to your level (digest)",
        {
            "en": (
                "{{ ticket_count }} × escalated to your level",
                "Hello {{ recipient_name }},\n\nThese tickets ran out of time at their previous level and are "
                "now yours:\n\n{{ ticket_lines }}\n",
            ),
        },
    ),
    "ticket-reminder": (
        "reminder",
        "Reminder: the customer has not answered",
        {
            "en": (
                "[{{ ticket_ref }}] Reminder: {{ ticket_subject }}",
                "Hello {{ recipient_name }},\n\nOn {{ set_at }} you asked to be reminded of {{ ticket_ref }} "
                "({{ reminder_note }}) by {{ due_time }}, and {{ customer_name }} has not written since.\n\n"
                "Status: {{ status }}\nOpen the ticket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
}


def default_template(slug):
    """The built-in text of `slug` as an unsaved template, or None: what is sent until an admin has the row."""
    if slug not in TEMPLATES:
        return None
    kind, name, texts = TEMPLATES[slug]
    fields = {}
    for language, (subject, body) in texts.items():
        suffix = language.replace("-", "_")
        fields[f"subject_{suffix}"] = subject
        fields[f"body_{suffix}"] = body
    return MessageTemplate(kind=kind, name=name, slug=slug, **fields)


def install_default_templates():
    """Create the templates that do not exist yet; returns how many were created."""
    created = 0
    existing = set(MessageTemplate.objects.filter(slug__in=TEMPLATES).values_list("slug", flat=True))
    for slug in TEMPLATES:
        if slug in existing:
            continue
        template = default_template(slug)
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
