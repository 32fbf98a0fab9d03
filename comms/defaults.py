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


# --- account emails (sign-up, activation, password reset) --------------------------
# Kept as one block at the end so that other templates can be added above it.
# Sent by helpdesk.accounts; `built_in_template` stands in while an admin has
# not installed (or has switched off) one of these, because an account cannot
# be confirmed or recovered without its email.

ACCOUNT_TEMPLATES = {
    "account-activation": (
        "account",
        "Confirm your email address",
        {
            "en": (
                "Confirm your email address to finish signing up",
                "Hello {{ customer_name }},\n\n"
                "Someone (we hope you) asked for a support account for {{ organization }} with this address. "
                "Open this link to confirm it and switch the account on:\n\n{{ activation_url }}\n\n"
                "The link works for {{ expires_in }} and only once. If you did not sign up, ignore this "
                "message: nothing happens without the link.\n",
            ),
            "es": (
                "Confirme su correo para terminar el registro",
                "Hola {{ customer_name }}:\n\n"
                "Alguien (esperamos que usted) ha pedido una cuenta de soporte de {{ organization }} con esta "
                "dirección. Abra este enlace para confirmarla y activar la cuenta:\n\n{{ activation_url }}\n\n"
                "El enlace sirve durante {{ expires_in }} y una sola vez. Si no se ha registrado, ignore este "
                "mensaje: sin el enlace no ocurre nada.\n",
            ),
            "fr": (
                "Confirmez votre adresse pour terminer l'inscription",
                "Bonjour {{ customer_name }},\n\n"
                "Quelqu'un (vous, nous l'espérons) a demandé un compte d'assistance pour {{ organization }} avec "
                "cette adresse. Ouvrez ce lien pour la confirmer et activer le compte :\n\n{{ activation_url }}\n\n"
                "Le lien est valable {{ expires_in }}, une seule fois. Si vous ne vous êtes pas inscrit, ignorez "
                "ce message : rien ne se passe sans le lien.\n",
            ),
            "de": (
                "Bestätigen Sie Ihre E-Mail-Adresse, um die Registrierung abzuschließen",
                "Hallo {{ customer_name }},\n\n"
                "jemand (hoffentlich Sie) hat mit dieser Adresse ein Support-Konto für {{ organization }} "
                "beantragt. Öffnen Sie diesen Link, um sie zu bestätigen und das Konto freizuschalten:\n\n"
                "{{ activation_url }}\n\n"
                "Der Link gilt {{ expires_in }} lang und nur einmal. Wenn Sie sich nicht registriert haben, "
                "ignorieren Sie diese Nachricht: Ohne den Link passiert nichts.\n",
            ),
            "zh-hans": (
                "请确认您的邮箱地址以完成注册",
                "{{ customer_name }}，您好：\n\n"
                "有人（希望是您本人）使用此邮箱申请了 {{ organization }} 的支持账户。"
                "请打开以下链接确认邮箱并启用账户：\n\n{{ activation_url }}\n\n"
                "该链接在 {{ expires_in }} 内有效，且只能使用一次。"
                "如果您没有注册，请忽略此邮件：不打开链接就不会有任何变化。\n",
            ),
            "ja": (
                "登録を完了するためにメールアドレスを確認してください",
                "{{ customer_name }} 様\n\n"
                "このアドレスで {{ organization }} のサポートアカウントの登録申請がありました。"
                "次のリンクを開いてアドレスを確認し、アカウントを有効にしてください。\n\n{{ activation_url }}\n\n"
                "リンクの有効期間は {{ expires_in }} で、一度だけ使えます。"
                "お心当たりがない場合はこのメールを無視してください。"
                "リンクを開かない限り何も起こりません。\n",
            ),
            "pt": (
                "Confirme o seu e-mail para concluir o registo",
                "Olá {{ customer_name }},\n\n"
                "Alguém (esperamos que tenha sido você) pediu uma conta de suporte de {{ organization }} com este "
                "endereço. Abra esta ligação para o confirmar e ativar a conta:\n\n{{ activation_url }}\n\n"
                "A ligação é válida durante {{ expires_in }} e só uma vez. Se não se registou, ignore esta "
                "mensagem: sem a ligação nada acontece.\n",
            ),
        },
    ),
    "account-exists": (
        "account",
        "Sign-up with an address that already has an account",
        {
            "en": (
                "You already have an account",
                "Hello {{ customer_name }},\n\n"
                "Someone tried to sign up with this email address, but it already has an account, so nothing "
                "was changed.\n\nSign in here: {{ login_url }}\n"
                "Forgotten your password? Choose a new one here: {{ reset_url }}\n\n"
                "If this was not you, you can ignore this message.\n",
            ),
            "es": (
                "Ya tiene una cuenta",
                "Hola {{ customer_name }}:\n\n"
                "Alguien ha intentado registrarse con esta dirección, pero ya tiene una cuenta, así que no se ha "
                "cambiado nada.\n\nInicie sesión aquí: {{ login_url }}\n"
                "¿Ha olvidado la contraseña? Elija una nueva aquí: {{ reset_url }}\n\n"
                "Si no ha sido usted, puede ignorar este mensaje.\n",
            ),
            "fr": (
                "Vous avez déjà un compte",
                "Bonjour {{ customer_name }},\n\n"
                "Quelqu'un a essayé de s'inscrire avec cette adresse, mais elle a déjà un compte : rien n'a été "
                "modifié.\n\nConnectez-vous ici : {{ login_url }}\n"
                "Mot de passe oublié ? Choisissez-en un nouveau ici : {{ reset_url }}\n\n"
                "Si ce n'était pas vous, ignorez simplement ce message.\n",
            ),
            "de": (
                "Sie haben bereits ein Konto",
                "Hallo {{ customer_name }},\n\n"
                "jemand wollte sich mit dieser Adresse registrieren, aber dafür gibt es schon ein Konto; es "
                "wurde nichts geändert.\n\nHier melden Sie sich an: {{ login_url }}\n"
                "Passwort vergessen? Hier wählen Sie ein neues: {{ reset_url }}\n\n"
                "Falls Sie das nicht waren, können Sie diese Nachricht ignorieren.\n",
            ),
            "zh-hans": (
                "您已经有账户了",
                "{{ customer_name }}，您好：\n\n"
                "有人尝试用此邮箱注册，但该邮箱已有账户，因此没有做任何更改。\n\n"
                "在此登录：{{ login_url }}\n忘记密码？在此设置新密码：{{ reset_url }}\n\n"
                "如果这不是您本人的操作，请忽略此邮件。\n",
            ),
            "ja": (
                "アカウントはすでにお持ちです",
                "{{ customer_name }} 様\n\n"
                "このメールアドレスで登録しようとした操作がありましたが、すでにアカウントがあるため何も変更していません。\n\n"
                "サインインはこちら：{{ login_url }}\n"
                "パスワードをお忘れの場合はこちらで再設定できます：{{ reset_url }}\n\n"
                "お心当たりがない場合は、このメールを無視してください。\n",
            ),
            "pt": (
                "Já tem uma conta",
                "Olá {{ customer_name }},\n\n"
                "Alguém tentou registar-se com este endereço, mas ele já tem uma conta, por isso nada foi "
                "alterado.\n\nEntre aqui: {{ login_url }}\n"
                "Esqueceu-se da palavra-passe? Escolha uma nova aqui: {{ reset_url }}\n\n"
                "Se não foi você, pode ignorar esta mensagem.\n",
            ),
        },
    ),
    "password-reset": (
        "account",
        "Choose a new password",
        {
            "en": (
                "Choose a new password",
                "Hello {{ customer_name }},\n\n"
                "We received a request to reset the password of your account. Choose a new one here:\n\n"
                "{{ reset_url }}\n\n"
                "The link works for {{ expires_in }} and stops working once used. If you did not ask for it, "
                "ignore this message: your password stays as it is.\n",
            ),
            "es": (
                "Elija una contraseña nueva",
                "Hola {{ customer_name }}:\n\n"
                "Hemos recibido una solicitud para restablecer la contraseña de su cuenta. Elija una nueva aquí:"
                "\n\n{{ reset_url }}\n\n"
                "El enlace sirve durante {{ expires_in }} y deja de funcionar al usarlo. Si no lo ha pedido, "
                "ignore este mensaje: su contraseña no cambia.\n",
            ),
            "fr": (
                "Choisissez un nouveau mot de passe",
                "Bonjour {{ customer_name }},\n\n"
                "Nous avons reçu une demande de réinitialisation du mot de passe de votre compte. "
                "Choisissez-en un nouveau ici :\n\n{{ reset_url }}\n\n"
                "Le lien est valable {{ expires_in }} et ne sert qu'une fois. Si vous n'avez rien demandé, "
                "ignorez ce message : votre mot de passe ne change pas.\n",
            ),
            "de": (
                "Wählen Sie ein neues Passwort",
                "Hallo {{ customer_name }},\n\n"
                "wir haben eine Anfrage erhalten, das Passwort Ihres Kontos zurückzusetzen. Hier wählen Sie ein "
                "neues:\n\n{{ reset_url }}\n\n"
                "Der Link gilt {{ expires_in }} lang und nur einmal. Wenn Sie das nicht angefordert haben, "
                "ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.\n",
            ),
            "zh-hans": (
                "设置新密码",
                "{{ customer_name }}，您好：\n\n"
                "我们收到了重置您账户密码的请求。请在此设置新密码：\n\n{{ reset_url }}\n\n"
                "该链接在 {{ expires_in }} 内有效，使用后即失效。"
                "如果您没有提出此请求，请忽略此邮件：您的密码不会改变。\n",
            ),
            "ja": (
                "新しいパスワードを設定してください",
                "{{ customer_name }} 様\n\n"
                "アカウントのパスワード再設定のリクエストを受け付けました。こちらから新しいパスワードを設定してください。\n\n"
                "{{ reset_url }}\n\n"
                "リンクの有効期間は {{ expires_in }} で、一度使うと無効になります。"
                "お心当たりがない場合はこのメールを無視してください。パスワードは変わりません。\n",
            ),
            "pt": (
                "Escolha uma nova palavra-passe",
                "Olá {{ customer_name }},\n\n"
                "Recebemos um pedido para repor a palavra-passe da sua conta. Escolha uma nova aqui:\n\n"
                "{{ reset_url }}\n\n"
                "A ligação é válida durante {{ expires_in }} e deixa de funcionar depois de usada. Se não fez "
                "este pedido, ignore esta mensagem: a sua palavra-passe não muda.\n",
            ),
        },
    ),
}
TEMPLATES.update(ACCOUNT_TEMPLATES)


def built_in_template(slug):
    """An unsaved MessageTemplate with the built-in texts of `slug` (for sending when none is installed)."""
    kind, name, texts = TEMPLATES[slug]
    fields = {}
    for language, (subject, body) in texts.items():
        suffix = language.replace("-", "_")
        fields[f"subject_{suffix}"] = subject
        fields[f"body_{suffix}"] = body
    return MessageTemplate(kind=kind, name=name, slug=slug, **fields)


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


# --- maintenance windows and routine notices (incidents issue, scheduled notices) ----------------------
# One block at the end, installed by install_default_templates like the rest. `{{ recipient_note }}` says
# why the reader gets the message; for status page subscribers it carries the unsubscribe link.
MAINTENANCE_TEMPLATES = {
    "maintenance-week": (
        "maintenance_notice",
        "Maintenance: a week before",
        {
            "en": (
                "Planned maintenance on {{ window_start }}: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nWe have planned work on {{ affected_systems }}.\n\n"
                "{{ maintenance_title }}\nFrom {{ window_start }} to {{ window_end }}\n"
                "What you may notice: {{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "We will remind you shortly before it starts and tell you when it is done. "
                "Status: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "es": (
                "Mantenimiento previsto el {{ window_start }}: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nHemos programado trabajos en {{ affected_systems }}.\n\n"
                "{{ maintenance_title }}\nDe {{ window_start }} a {{ window_end }}\n"
                "Qué puede notar: {{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "Le avisaremos poco antes de empezar y cuando terminemos. Estado: {{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "fr": (
                "Maintenance prévue le {{ window_start }} : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nNous avons prévu une intervention sur {{ affected_systems }}.\n\n"
                "{{ maintenance_title }}\nDu {{ window_start }} au {{ window_end }}\n"
                "Ce que vous pourriez remarquer : {{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "Nous vous le rappellerons peu avant le début et vous dirons quand ce sera fini. "
                "État : {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "de": (
                "Geplante Wartung am {{ window_start }}: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\nwir haben Arbeiten an {{ affected_systems }} geplant.\n\n"
                "{{ maintenance_title }}\nVon {{ window_start }} bis {{ window_end }}\n"
                "Was Sie bemerken könnten: {{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "Kurz vor Beginn erinnern wir Sie, und wir melden uns, wenn alles erledigt ist. "
                "Status: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "pt": (
                "Manutenção planeada a {{ window_start }}: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nPlaneámos trabalhos em {{ affected_systems }}.\n\n"
                "{{ maintenance_title }}\nDe {{ window_start }} a {{ window_end }}\n"
                "O que poderá notar: {{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "Voltaremos a avisar pouco antes do início e quando terminarmos. Estado: {{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "计划维护（{{ window_start }}）：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n我们计划对 {{ affected_systems }} 进行维护。\n\n"
                "{{ maintenance_title }}\n时间：{{ window_start }} 至 {{ window_end }}\n"
                "可能的影响：{{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "开始前我们会再次提醒您，完成后也会通知您。状态页面：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "ja": (
                "計画メンテナンスのお知らせ（{{ window_start }}）：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ affected_systems }} のメンテナンスを予定しております。\n\n"
                "{{ maintenance_title }}\n日時：{{ window_start }} ～ {{ window_end }}\n"
                "想定される影響：{{ expected_impact }}\n\n{{ maintenance_description }}\n\n"
                "開始直前と完了時にも改めてお知らせします。ステータス：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
        },
    ),
    "maintenance-soon": (
        "maintenance_notice",
        "Maintenance: two hours before",
        {
            "en": (
                "Maintenance starts soon: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nA reminder: the planned work on {{ affected_systems }} starts at "
                "{{ window_start }} and should be over by {{ window_end }}.\n"
                "What you may notice: {{ expected_impact }}\n\nIt may be a good moment to save your work. "
                "Status: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "es": (
                "El mantenimiento empieza pronto: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nLe recordamos que los trabajos en {{ affected_systems }} empiezan a "
                "las {{ window_start }} y deberían terminar antes de las {{ window_end }}.\n"
                "Qué puede notar: {{ expected_impact }}\n\nConviene guardar lo que esté haciendo. "
                "Estado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "fr": (
                "La maintenance commence bientôt : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nPour rappel, l'intervention sur {{ affected_systems }} commence à "
                "{{ window_start }} et devrait s'achever à {{ window_end }}.\n"
                "Ce que vous pourriez remarquer : {{ expected_impact }}\n\nPensez à enregistrer votre travail. "
                "État : {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "de": (
                "Wartung beginnt bald: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\nzur Erinnerung: Die Arbeiten an {{ affected_systems }} beginnen um "
                "{{ window_start }} und sollen bis {{ window_end }} abgeschlossen sein.\n"
                "Was Sie bemerken könnten: {{ expected_impact }}\n\nSpeichern Sie am besten Ihre Arbeit. "
                "Status: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "pt": (
                "A manutenção começa em breve: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nRelembramos que os trabalhos em {{ affected_systems }} começam às "
                "{{ window_start }} e devem terminar até às {{ window_end }}.\n"
                "O que poderá notar: {{ expected_impact }}\n\nConvém guardar o seu trabalho. "
                "Estado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "维护即将开始：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n提醒您：{{ affected_systems }} 的维护将于 {{ window_start }} 开始，"
                "预计在 {{ window_end }} 前结束。\n可能的影响：{{ expected_impact }}\n\n建议您提前保存工作。"
                "状态页面：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "ja": (
                "まもなくメンテナンスを開始します：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ affected_systems }} のメンテナンスは {{ window_start }} に開始し、"
                "{{ window_end }} までに終了する予定です。\n想定される影響：{{ expected_impact }}\n\n"
                "作業内容の保存をお勧めします。ステータス：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
        },
    ),
    "maintenance-started": (
        "maintenance_notice",
        "Maintenance: started",
        {
            "en": (
                "Maintenance in progress: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nThe planned work on {{ affected_systems }} has begun and should end "
                "by {{ window_end }}.\nWhat you may notice: {{ expected_impact }}\n\n"
                "We will write again when it is done. Status: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "es": (
                "Mantenimiento en curso: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nHan comenzado los trabajos en {{ affected_systems }}; deberían "
                "terminar antes de las {{ window_end }}.\nQué puede notar: {{ expected_impact }}\n\n"
                "Le escribiremos al terminar. Estado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "fr": (
                "Maintenance en cours : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nL'intervention sur {{ affected_systems }} a commencé et devrait "
                "s'achever à {{ window_end }}.\nCe que vous pourriez remarquer : {{ expected_impact }}\n\n"
                "Nous vous écrirons à la fin. État : {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "de": (
                "Wartung läuft: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\ndie Arbeiten an {{ affected_systems }} haben begonnen und sollen bis "
                "{{ window_end }} dauern.\nWas Sie bemerken könnten: {{ expected_impact }}\n\n"
                "Wir melden uns, sobald sie abgeschlossen sind. Status: {{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "pt": (
                "Manutenção em curso: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nOs trabalhos em {{ affected_systems }} começaram e devem terminar até "
                "às {{ window_end }}.\nO que poderá notar: {{ expected_impact }}\n\n"
                "Voltaremos a escrever quando terminarmos. Estado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "维护进行中：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n{{ affected_systems }} 的维护已经开始，"
                "预计在 {{ window_end }} 前结束。\n"
                "可能的影响：{{ expected_impact }}\n\n完成后我们会通知您。状态页面：{{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "ja": (
                "メンテナンス実施中：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ affected_systems }} のメンテナンスを開始しました。{{ window_end }} "
                "までに終了する予定です。\n想定される影響：{{ expected_impact }}\n\n"
                "完了しましたら改めてお知らせします。"
                "ステータス：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
        },
    ),
    "maintenance-completed": (
        "maintenance_notice",
        "Maintenance: completed",
        {
            "en": (
                "Maintenance completed: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nThe work on {{ affected_systems }} is finished and everything is "
                "back to normal. Thank you for your patience.\n\nIf something does not work as before, reply to "
                "this message or open a ticket: {{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "es": (
                "Mantenimiento terminado: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nHemos terminado los trabajos en {{ affected_systems }} y todo "
                "funciona con normalidad. Gracias por su paciencia.\n\nSi algo no va como antes, responda a este "
                "mensaje o abra una solicitud: {{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "fr": (
                "Maintenance terminée : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nL'intervention sur {{ affected_systems }} est terminée et tout "
                "fonctionne normalement. Merci de votre patience.\n\nSi quelque chose ne marche plus comme avant, "
                "répondez à ce message ou ouvrez une demande : {{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "de": (
                "Wartung abgeschlossen: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\ndie Arbeiten an {{ affected_systems }} sind erledigt, alles läuft "
                "wieder normal. Danke für Ihre Geduld.\n\nFalls etwas nicht wie gewohnt funktioniert, antworten "
                "Sie auf diese Nachricht oder eröffnen Sie ein Ticket: {{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "pt": (
                "Manutenção concluída: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nTerminámos os trabalhos em {{ affected_systems }} e tudo voltou ao "
                "normal. Obrigado pela paciência.\n\nSe algo não funcionar como antes, responda a esta mensagem "
                "ou abra um pedido: {{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "维护已完成：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n{{ affected_systems }} 的维护已经完成，一切恢复正常。感谢您的耐心。\n\n"
                "如有任何异常，请回复此邮件或提交工单：{{ site_url }}\n\n{{ recipient_note }}\n",
            ),
            "ja": (
                "メンテナンス完了：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ affected_systems }} のメンテナンスが完了し、"
                "通常どおりご利用いただけます。"
                "ご協力ありがとうございました。\n\n不具合がございましたら、このメールにご返信いただくか、"
                "お問い合わせください：{{ site_url }}\n\n{{ recipient_note }}\n",
            ),
        },
    ),
    "maintenance-rescheduled": (
        "maintenance_notice",
        "Maintenance: rescheduled",
        {
            "en": (
                "Maintenance moved to {{ window_start }}: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nThe planned work on {{ affected_systems }}, which was to start at "
                "{{ previous_start }}, now takes place from {{ window_start }} to {{ window_end }}.\n"
                "What you may notice: {{ expected_impact }}\n\nStatus: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "es": (
                "Mantenimiento trasladado al {{ window_start }}: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nLos trabajos en {{ affected_systems }}, previstos para las "
                "{{ previous_start }}, se harán de {{ window_start }} a {{ window_end }}.\n"
                "Qué puede notar: {{ expected_impact }}\n\nEstado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "fr": (
                "Maintenance déplacée au {{ window_start }} : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nL'intervention sur {{ affected_systems }}, prévue à "
                "{{ previous_start }}, aura lieu du {{ window_start }} au {{ window_end }}.\n"
                "Ce que vous pourriez remarquer : {{ expected_impact }}\n\nÉtat : {{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "de": (
                "Wartung verschoben auf {{ window_start }}: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\ndie Arbeiten an {{ affected_systems }}, geplant ab "
                "{{ previous_start }}, finden jetzt von {{ window_start }} bis {{ window_end }} statt.\n"
                "Was Sie bemerken könnten: {{ expected_impact }}\n\nStatus: {{ status_page_url }}\n\n"
                "{{ recipient_note }}\n",
            ),
            "pt": (
                "Manutenção adiada para {{ window_start }}: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nOs trabalhos em {{ affected_systems }}, previstos para "
                "{{ previous_start }}, decorrem agora de {{ window_start }} a {{ window_end }}.\n"
                "O que poderá notar: {{ expected_impact }}\n\nEstado: {{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "维护时间已调整为 {{ window_start }}：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n原定于 {{ previous_start }} 开始的 {{ affected_systems }} 维护，"
                "现调整为 {{ window_start }} 至 {{ window_end }}。\n可能的影响：{{ expected_impact }}\n\n"
                "状态页面：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
            "ja": (
                "メンテナンス日時変更（{{ window_start }}）：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ previous_start }} 開始予定だった "
                "{{ affected_systems }} のメンテナンスは、"
                "{{ window_start }} ～ {{ window_end }} に変更になりました。\n想定される影響：{{ expected_impact }}\n\n"
                "ステータス：{{ status_page_url }}\n\n{{ recipient_note }}\n",
            ),
        },
    ),
    "maintenance-cancelled": (
        "maintenance_notice",
        "Maintenance: cancelled",
        {
            "en": (
                "Maintenance cancelled: {{ maintenance_title }}",
                "Hello {{ customer_name }},\n\nThe work on {{ affected_systems }} planned for {{ window_start }} "
                "will not take place. Nothing changes for you. If it is planned again, we will tell you ahead.\n\n"
                "{{ recipient_note }}\n",
            ),
            "es": (
                "Mantenimiento cancelado: {{ maintenance_title }}",
                "Hola {{ customer_name }}:\n\nLos trabajos en {{ affected_systems }} previstos para el "
                "{{ window_start }} no se harán. No cambia nada para usted; si se vuelven a programar, le "
                "avisaremos con antelación.\n\n{{ recipient_note }}\n",
            ),
            "fr": (
                "Maintenance annulée : {{ maintenance_title }}",
                "Bonjour {{ customer_name }},\n\nL'intervention sur {{ affected_systems }} prévue le "
                "{{ window_start }} n'aura pas lieu. Rien ne change pour vous ; si elle est reprogrammée, nous "
                "vous préviendrons à l'avance.\n\n{{ recipient_note }}\n",
            ),
            "de": (
                "Wartung abgesagt: {{ maintenance_title }}",
                "Hallo {{ customer_name }},\n\ndie für {{ window_start }} geplanten Arbeiten an "
                "{{ affected_systems }} finden nicht statt. Für Sie ändert sich nichts; bei einem neuen Termin "
                "informieren wir Sie rechtzeitig.\n\n{{ recipient_note }}\n",
            ),
            "pt": (
                "Manutenção cancelada: {{ maintenance_title }}",
                "Olá {{ customer_name }},\n\nOs trabalhos em {{ affected_systems }} previstos para "
                "{{ window_start }} não vão acontecer. Nada muda para si; se forem reagendados, avisaremos "
                "com antecedência.\n\n{{ recipient_note }}\n",
            ),
            "zh-hans": (
                "维护已取消：{{ maintenance_title }}",
                "{{ customer_name }}，您好：\n\n原定于 {{ window_start }} 进行的 {{ affected_systems }} 维护已取消，"
                "您无需做任何准备。如重新安排，我们会提前通知您。\n\n{{ recipient_note }}\n",
            ),
            "ja": (
                "メンテナンス中止：{{ maintenance_title }}",
                "{{ customer_name }} 様\n\n{{ window_start }} に予定していた {{ affected_systems }} のメンテナンスは"
                "中止となりました。お客様側での対応は不要です。再度予定する際は事前にお知らせします。\n\n"
                "{{ recipient_note }}\n",
            ),
        },
    ),
    # {{ period_label }} is a date in the recipient's language: the Monday of the week ("2 March 2026"),
    # or the month ("March 2026"); the words around it are the template's.
    "routine-weekly-update": (
        "routine_notice",
        "Routine: weekly update",
        {
            "en": (
                "Your weekly update · week of {{ period_label }}",
                "Hello {{ customer_name }},\n\n{{ routine_message }}\n\nLast week: {{ incident_count }} incident(s) "
                "on our status page. Planned maintenance in the next 30 days: {{ maintenance_count }}.\n"
                "Details: {{ status_page_url }}\n",
            ),
            "es": (
                "Su resumen semanal · semana del {{ period_label }}",
                "Hola {{ customer_name }}:\n\n{{ routine_message }}\n\nLa semana pasada: {{ incident_count }} "
                "incidencia(s) en nuestra página de estado. Mantenimientos previstos en 30 días: "
                "{{ maintenance_count }}.\nDetalles: {{ status_page_url }}\n",
            ),
            "fr": (
                "Votre point hebdomadaire · semaine du {{ period_label }}",
                "Bonjour {{ customer_name }},\n\n{{ routine_message }}\n\nLa semaine dernière, notre page d'état "
                "a signalé {{ incident_count }} incident(s). Maintenances prévues dans les 30 prochains jours : "
                "{{ maintenance_count }}.\nPour en savoir plus : {{ status_page_url }}\n",
            ),
            "de": (
                "Ihr Wochenüberblick · Woche vom {{ period_label }}",
                "Hallo {{ customer_name }},\n\n{{ routine_message }}\n\nVergangene Woche zeigte unsere "
                "Statusseite {{ incident_count }} Störung(en). Geplante Wartungen in den kommenden 30 Tagen: "
                "{{ maintenance_count }}.\nMehr dazu: {{ status_page_url }}\n",
            ),
            "zh-hans": (
                "每周服务简报 · {{ period_label }} 当周",
                "{{ customer_name }}，您好：\n\n{{ routine_message }}\n\n上周状态页共记录 {{ incident_count }} "
                "起事件。未来 30 天内计划维护：{{ maintenance_count }} 次。\n详情请见：{{ status_page_url }}\n",
            ),
            "ja": (
                "週次サービス報告 · {{ period_label }} の週",
                "{{ customer_name }} 様\n\n{{ routine_message }}\n\n先週ステータスページに掲載したインシデント："
                "{{ incident_count }} 件。今後 30 日間に予定しているメンテナンス：{{ maintenance_count }} 件。\n"
                "詳しくはこちら：{{ status_page_url }}\n",
            ),
            "pt": (
                "O seu resumo semanal · semana de {{ period_label }}",
                "Olá {{ customer_name }},\n\n{{ routine_message }}\n\nNa semana passada, a nossa página de estado "
                "registou {{ incident_count }} incidente(s). Manutenções previstas nos próximos 30 dias: "
                "{{ maintenance_count }}.\nMais informações: {{ status_page_url }}\n",
            ),
        },
    ),
    "routine-monthly-report": (
        "routine_notice",
        "Routine: monthly performance report",
        {
            "en": (
                "Monthly service report · {{ period_label }} · {{ organization }}",
                "Hello {{ customer_name }},\n\nHere is how our service did for {{ organization }} last month.\n\n"
                "Public incidents: {{ incident_count }}\nPlanned maintenance ahead: {{ maintenance_count }}\n\n"
                "{{ routine_message }}\n\nHistory of the last 90 days: {{ status_page_url }}\n",
            ),
            "es": (
                "Informe mensual del servicio · {{ period_label }} · {{ organization }}",
                "Hola {{ customer_name }}:\n\nAsí funcionó nuestro servicio para {{ organization }} el mes "
                "pasado.\n\nIncidencias públicas: {{ incident_count }}\nMantenimientos previstos: "
                "{{ maintenance_count }}\n\n{{ routine_message }}\n\nHistorial de los últimos 90 días: "
                "{{ status_page_url }}\n",
            ),
            "fr": (
                "Bilan mensuel du service · {{ period_label }} · {{ organization }}",
                "Bonjour {{ customer_name }},\n\nVoici le bilan de notre service pour {{ organization }} le mois "
                "dernier.\n\nIncidents publics : {{ incident_count }}\nMaintenances à venir : "
                "{{ maintenance_count }}\n\n{{ routine_message }}\n\nHistorique des 90 derniers jours : "
                "{{ status_page_url }}\n",
            ),
            "de": (
                "Monatsbericht zum Service · {{ period_label }} · {{ organization }}",
                "Hallo {{ customer_name }},\n\nso lief unser Service im vergangenen Monat für {{ organization }}."
                "\n\nÖffentliche Störungen: {{ incident_count }}\nAnstehende Wartungen: {{ maintenance_count }}"
                "\n\n{{ routine_message }}\n\nVerlauf der letzten 90 Tage: {{ status_page_url }}\n",
            ),
            "zh-hans": (
                "月度服务报告 · {{ period_label }} · {{ organization }}",
                "{{ customer_name }}，您好：\n\n以下是上个月我们为 {{ organization }} 提供服务的情况。\n\n"
                "公开事件：{{ incident_count }} 起\n即将进行的计划维护：{{ maintenance_count }} 次\n\n"
                "{{ routine_message }}\n\n最近 90 天的记录：{{ status_page_url }}\n",
            ),
            "ja": (
                "月次サービス報告 · {{ period_label }} · {{ organization }}",
                "{{ customer_name }} 様\n\n先月の {{ organization }} 様向けサービスの状況をご報告します。\n\n"
                "公開インシデント：{{ incident_count }} 件\n予定しているメンテナンス：{{ maintenance_count }} 件\n\n"
                "{{ routine_message }}\n\n過去 90 日間の履歴：{{ status_page_url }}\n",
            ),
            "pt": (
                "Relatório mensal do serviço · {{ period_label }} · {{ organization }}",
                "Olá {{ customer_name }},\n\nEis como correu o nosso serviço para {{ organization }} no mês "
                "passado.\n\nIncidentes públicos: {{ incident_count }}\nManutenções previstas: "
                "{{ maintenance_count }}\n\n{{ routine_message }}\n\nHistórico dos últimos 90 dias: "
                "{{ status_page_url }}\n",
            ),
        },
    ),
}
TEMPLATES.update(MAINTENANCE_TEMPLATES)


# --- proactive journey signals (issue 7) -------------------------------------------------------------
# One generic text per tone (seed 003's tone by touch count); a signal type may name its own instead.
JOURNEY_TEMPLATES = {
    "signal-helpful": (
        "journey_signal",
        "Proactive: first touch (helpful)",
        {
            "en": (
                "We noticed something on your account: {{ signal_name }}",
                "Hello {{ customer_name }},\n\nWe spotted this before you had to tell us:\n{{ signal_lines }}\n\n"
                "Our team is already looking into it under {{ ticket_ref }}. You do not need to do anything now; "
                "we will write again as soon as we know more. If you want to add something, reply here or "
                "open {{ ticket_url }}\n",
            ),
            "es": (
                "Hemos detectado algo en su cuenta: {{ signal_name }}",
                "Hola {{ customer_name }}:\n\nLo hemos visto antes de que tuviera que avisarnos:\n{{ signal_lines }}"
                "\n\nNuestro equipo ya lo revisa en {{ ticket_ref }}. No tiene que hacer nada por ahora; le "
                "escribiremos en cuanto sepamos más. Para añadir algo, responda o abra {{ ticket_url }}\n",
            ),
        },
    ),
    "signal-empathetic": (
        "journey_signal",
        "Proactive: second touch (empathetic)",
        {
            "en": (
                "About {{ signal_name }}: here is where things stand",
                "Hello {{ customer_name }},\n\nYou have been in touch with us about this, and we understand it is "
                "frustrating. Specifically:\n{{ signal_lines }}\n\nWe are working on it under {{ ticket_ref }} "
                "and will tell you what changes, without you having to ask: {{ ticket_url }}\n",
            ),
        },
    ),
    "signal-apologetic": (
        "journey_signal",
        "Proactive: third touch (apologetic, ownership)",
        {
            "en": (
                "I am taking ownership of {{ signal_name }}",
                "Hello {{ customer_name }},\n\nYou have contacted us {{ touch_count }} times about this, and I am "
                "sorry it has taken this long. What we know:\n{{ signal_lines }}\n\nI am keeping this case "
                "({{ ticket_ref }}) until it is solved; you will not have to explain it again. Follow it here: "
                "{{ ticket_url }}\n",
            ),
        },
    ),
    "signal-urgent": (
        "journey_signal",
        "Proactive: fourth touch and later (urgent ownership)",
        {
            "en": (
                "Your case {{ ticket_ref }} now has our full attention",
                "Hello {{ customer_name }},\n\nThis has gone on far too long: {{ touch_count }} contacts so far. "
                "The issues:\n{{ signal_lines }}\n\nA senior member of the team owns {{ ticket_ref }} from now on "
                "and will call or write with a concrete date for the fix. {{ ticket_url }}\n",
            ),
        },
    ),
    "signal-engineering-alert": (
        "journey_internal",
        "Proactive: engineering alert",
        {
            "en": (
                "[{{ signal_severity }}] {{ signal_code }} {{ signal_name }} · {{ customer_email }}",
                "{{ alert_reason }}: {{ signal_code }} {{ signal_name }} ({{ signal_severity }}) for "
                "{{ customer_name }} <{{ customer_email }}>, since {{ detected_at }}, {{ touch_count }} touches.\n"
                "{{ signal_lines }}\nTicket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
    "signal-agent-alert": (
        "journey_internal",
        "Proactive: alert to agents",
        {
            "en": (
                "[Proactive · {{ signal_severity }}] {{ ticket_ref }} {{ customer_name }}: {{ signal_name }}",
                "{{ alert_reason }}.\n\n{{ signal_code }} {{ signal_name }} ({{ signal_severity }}) for "
                "{{ customer_name }} <{{ customer_email }}>, detected {{ detected_at }}, {{ touch_count }} "
                "touches.\n\nThe facts and a drafted message are on the ticket: {{ ticket_agent_url }}\n",
            ),
        },
    ),
    "signal-systemic-alert": (
        "journey_internal",
        "Proactive: systemic issue",
        {
            "en": (
                "Systemic: {{ customer_count }} customers with {{ signal_code }} {{ signal_name }}",
                "{{ customer_count }} customers show {{ signal_code }} {{ signal_name }} since {{ detected_at }}.\n\n"
                "{{ customer_lines }}\n\nIn common: {{ shared_factors }}\n\nReview and open an incident: "
                "{{ ticket_agent_url }}\n",
            ),
        },
    ),
}
TEMPLATES.update(JOURNEY_TEMPLATES)
