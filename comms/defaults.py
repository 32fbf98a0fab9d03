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


# --- incidents: customer notices, the executive summary and cadence alerts ---------------------
# Added by the incidents issue as one block; installed by install_default_templates like the rest.
INCIDENT_TEMPLATES = {
    "incident-alert": (
        "incident_alert",
        "Incident: first notice",
        {
            "en": (
                "[{{ incident_id }}] Service problem: {{ incident_title }}",
                "Hello {{ customer_name }},\n\nWe know that {{ affected_systems }} is not working as it should "
                "and our team is on it.\n\n{{ update_text }}\n\nStatus: {{ incident_status }}. You will hear from "
                "us again by {{ next_update_time }}, and you can follow every update at {{ status_page_url }}\n",
            ),
            "es": (
                "[{{ incident_id }}] Incidencia en el servicio: {{ incident_title }}",
                "Hola {{ customer_name }}:\n\nSabemos que {{ affected_systems }} no funciona como debería y nuestro "
                "equipo ya está trabajando en ello.\n\n{{ update_text }}\n\nEstado: {{ incident_status }}. Le "
                "volveremos a escribir antes de las {{ next_update_time }}; puede seguir cada novedad en "
                "{{ status_page_url }}\n",
            ),
            "fr": (
                "[{{ incident_id }}] Incident de service : {{ incident_title }}",
                "Bonjour {{ customer_name }},\n\nNous savons que {{ affected_systems }} ne fonctionne pas "
                "correctement ; notre équipe s'en occupe.\n\n{{ update_text }}\n\nÉtat : {{ incident_status }}. "
                "Prochain point au plus tard à {{ next_update_time }} ; tout est suivi sur {{ status_page_url }}\n",
            ),
            "de": (
                "[{{ incident_id }}] Störung: {{ incident_title }}",
                "Hallo {{ customer_name }},\n\nwir wissen, dass {{ affected_systems }} gerade nicht richtig "
                "funktioniert, und arbeiten daran.\n\n{{ update_text }}\n\nStand: {{ incident_status }}. Sie hören "
                "spätestens um {{ next_update_time }} wieder von uns; alle Updates unter {{ status_page_url }}\n",
            ),
        },
    ),
    "incident-update": (
        "incident_update",
        "Incident: update",
        {
            "en": (
                "[{{ incident_id }}] Update: {{ incident_title }} ({{ incident_status }})",
                "Hello {{ customer_name }},\n\nHere is where we are with {{ incident_title }}.\n\n"
                "{{ update_text }}\n\nStatus: {{ incident_status }}. Next update by {{ next_update_time }}. "
                "Details: {{ status_page_url }}\n",
            ),
            "es": (
                "[{{ incident_id }}] Novedades: {{ incident_title }} ({{ incident_status }})",
                "Hola {{ customer_name }}:\n\nAsí va {{ incident_title }}.\n\n{{ update_text }}\n\n"
                "Estado: {{ incident_status }}. Próxima actualización antes de las {{ next_update_time }}. "
                "Detalles: {{ status_page_url }}\n",
            ),
            "fr": (
                "[{{ incident_id }}] Point d'étape : {{ incident_title }} ({{ incident_status }})",
                "Bonjour {{ customer_name }},\n\nVoici où nous en sommes pour {{ incident_title }}.\n\n"
                "{{ update_text }}\n\nÉtat : {{ incident_status }}. Prochain point avant {{ next_update_time }}. "
                "Détails : {{ status_page_url }}\n",
            ),
            "de": (
                "[{{ incident_id }}] Neuer Stand: {{ incident_title }} ({{ incident_status }})",
                "Hallo {{ customer_name }},\n\nso steht es um {{ incident_title }}.\n\n{{ update_text }}\n\n"
                "Stand: {{ incident_status }}. Nächstes Update bis {{ next_update_time }}. "
                "Details: {{ status_page_url }}\n",
            ),
        },
    ),
    "incident-executive-summary": (
        "executive_summary",
        "Incident: executive summary",
        {
            "en": (
                "[{{ incident_id }}] {{ severity }} · {{ crisis_level }}: {{ incident_title }}",
                "Situation: {{ incident_title }} ({{ severity }}, {{ crisis_level }}), open for {{ duration }}.\n"
                "Impact: {{ impact }}\nOrganizations: {{ affected_organizations }}\n"
                "Systems: {{ affected_systems }}\nStatus: {{ incident_status }}\nCommander: {{ commander }}\n\n"
                "Latest word to customers:\n{{ update_text }}\n\nNext update by {{ next_update_time }}.\n",
            ),
        },
    ),
    "incident-cadence-warning": (
        "internal_alert",
        "Incident: deadline close",
        {
            "en": (
                "[{{ incident_id }}] {{ deadline }} due at {{ due_time }}",
                "{{ incident_id }} {{ incident_title }} ({{ severity }}): {{ deadline }} is due at {{ due_time }}.\n"
                "Post it here: {{ incident_url }}\n",
            ),
        },
    ),
    "incident-cadence-missed": (
        "internal_alert",
        "Incident: deadline missed",
        {
            "en": (
                "[{{ incident_id }}] Missed: {{ deadline }} was due at {{ due_time }}",
                "{{ incident_id }} {{ incident_title }} ({{ severity }}) missed its {{ deadline }}, due at "
                "{{ due_time }}. Customers are waiting to hear from us.\n{{ incident_url }}\n",
            ),
        },
    ),
    "status-subscription-confirm": (
        "incident_update",
        "Status page: confirm a subscription",
        {
            "en": (
                "Confirm your subscription to status updates",
                "Someone (we hope you) asked to receive status updates by email for: {{ subscribed_components }}."
                "\n\nConfirm here: {{ confirm_url }}\n\nThe link works once, until {{ confirm_by }}. "
                "If you did not ask for this, ignore this message and nothing will be sent.\n",
            ),
            "es": (
                "Confirma tu suscripción a las novedades de estado",
                "Alguien (esperamos que tú) pidió recibir por email las novedades de estado de: "
                "{{ subscribed_components }}.\n\nConfírmalo aquí: {{ confirm_url }}\n\nEl enlace sirve una vez, "
                "hasta {{ confirm_by }}. Si no lo pediste, ignora este mensaje y no recibirás nada.\n",
            ),
        },
    ),
    "status-subscriber-update": (
        "incident_update",
        "Status page: update to subscribers",
        {
            "en": (
                "[{{ incident_id }}] {{ incident_title }} ({{ incident_status }})",
                "{{ incident_title }} ({{ severity }}) affects {{ affected_systems }}.\n\n{{ update_text }}\n\n"
                "Status: {{ incident_status }}. Next update by {{ next_update_time }}. Details: {{ incident_url }}"
                "\n\nYou receive this because you follow {{ subscribed_components }} on our status page. "
                "Unsubscribe in one click: {{ unsubscribe_url }}\n",
            ),
            "es": (
                "[{{ incident_id }}] {{ incident_title }} ({{ incident_status }})",
                "{{ incident_title }} ({{ severity }}) afecta a {{ affected_systems }}.\n\n{{ update_text }}\n\n"
                "Estado: {{ incident_status }}. Próxima actualización antes de las {{ next_update_time }}. "
                "Detalles: {{ incident_url }}\n\nRecibes esto porque sigues {{ subscribed_components }} en nuestra "
                "página de estado. Date de baja con un clic: {{ unsubscribe_url }}\n",
            ),
        },
    ),
}
TEMPLATES.update(INCIDENT_TEMPLATES)
