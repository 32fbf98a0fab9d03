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
