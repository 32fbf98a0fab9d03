"""Demo knowledge base: a dozen articles in five categories, some translated, all published.

`install(author=…, approver=…)` is idempotent (articles are recognised by
slug) and goes through the same services as the editors, so every article
has a version and search rows. The approver needs knowledge.publish_article
and must not be the author.

Also here: the fixed queries the search-quality test and bench/bench_kb.py
check, and a generator of synthetic filler articles for volume.
"""

import random

from django.db import transaction
from django.utils import timezone

from . import services
from .index import reindex_articles
from .models import Article, Audience, Category, Status

CATEGORIES = [
    # slug, audience, review every (days), position, {language: (name, description)}
    (
        "getting-started",
        Audience.CUSTOMERS,
        30,
        10,
        {
            "en": ("Getting started", "First steps: your account, your team, your data."),
            "es": ("Primeros pasos", "Tu cuenta, tu equipo y tus datos desde el primer día."),
            "fr": ("Bien démarrer", "Premiers pas : votre compte, votre équipe, vos données."),
        },
    ),
    (
        "account-billing",
        Audience.CUSTOMERS,
        90,
        20,
        {
            "en": ("Account and billing", "Signing in, security, invoices and payment details."),
            "es": ("Cuenta y facturación", "Acceso, seguridad, facturas y datos de pago."),
        },
    ),
    (
        "troubleshooting",
        Audience.CUSTOMERS,
        30,
        30,
        {
            "en": ("Troubleshooting", "When something does not work as it should."),
            "es": ("Solución de problemas", "Cuando algo no funciona como debería."),
        },
    ),
    (
        "agent-playbooks",
        Audience.AGENTS,
        90,
        40,
        {"en": ("Agent playbooks", "How the support team handles the harder cases. Staff only.")},
    ),
    (
        "developers",
        Audience.DEVELOPERS,
        180,
        50,
        {"en": ("API and integrations", "Notes for the engineers who connect other systems.")},
    ),
]

ARTICLES = [
    {
        "slug": "reset-password",
        "category": "account-billing",
        "tags": "password, sign in, login",
        "en": (
            "Reset your password",
            "Use the “Forgot your password?” link on the sign-in page and follow the email we send you.",
            "If you forgot your password or it no longer works, you can choose a new one yourself.\n\n"
            "1. Open the sign-in page and choose **Forgot your password?**\n"
            "2. Enter the email address of your account.\n"
            "3. Open the email we send you and follow the link within one hour.\n"
            "4. Choose a new password of at least twelve characters.\n\n"
            "The link works once. If the email does not arrive, see the article about missing emails.",
        ),
        "es": (
            "Restablecer tu contraseña",
            "Usa el enlace «¿Olvidaste tu contraseña?» en la página de acceso y sigue el correo que te enviamos.",
            "Si olvidaste tu contraseña o ya no funciona, puedes elegir una nueva tú mismo.\n\n"
            "1. Abre la página de acceso y elige **¿Olvidaste tu contraseña?**\n"
            "2. Escribe la dirección de correo de tu cuenta.\n"
            "3. Abre el correo que te enviamos y sigue el enlace antes de una hora.\n"
            "4. Elige una contraseña nueva de al menos doce caracteres.",
        ),
        "fr": (
            "Réinitialiser votre mot de passe",
            "Utilisez le lien « Mot de passe oublié ? » de la page de connexion, puis suivez l’e-mail reçu.",
            "Si vous avez oublié votre mot de passe, vous pouvez en choisir un nouveau vous-même.\n\n"
            "1. Ouvrez la page de connexion et choisissez **Mot de passe oublié ?**\n"
            "2. Saisissez l’adresse e-mail de votre compte.\n"
            "3. Suivez le lien de l’e-mail dans l’heure.",
        ),
    },
    {
        "slug": "enable-two-factor",
        "category": "account-billing",
        "tags": "security, 2fa, authenticator",
        "en": (
            "Turn on two-factor authentication",
            "Add an authenticator app under Settings → Security so a stolen password alone cannot open your account.",
            "Two-factor authentication asks for a six-digit code from your phone as well as your password.\n\n"
            "1. Go to **Settings → Security**.\n"
            "2. Choose **Turn on two-factor authentication**.\n"
            "3. Scan the QR code with an authenticator app and type the code it shows.\n"
            "4. Keep the recovery codes somewhere safe: they open your account if you lose the phone.",
        ),
        "es": (
            "Activar la verificación en dos pasos",
            "Añade una app de autenticación en Ajustes → Seguridad para proteger tu cuenta.",
            "La verificación en dos pasos pide un código de seis cifras de tu teléfono además de la contraseña.\n\n"
            "1. Ve a **Ajustes → Seguridad**.\n"
            "2. Escanea el código QR con la app de autenticación.\n"
            "3. Guarda los códigos de recuperación en un lugar seguro.",
        ),
    },
    {
        "slug": "update-billing-details",
        "category": "account-billing",
        "tags": "billing, invoice, payment, vat",
        "en": (
            "Change your billing address and payment details",
            "Account owners change the billing address, VAT number and card under Settings → Billing.",
            "Only the account owner can see billing settings.\n\n"
            "* **Billing address and VAT number** appear on every invoice from the next one on.\n"
            "* **Payment card**: add the new card first, then remove the old one.\n\n"
            "Invoices already issued are not changed; ask us if one must be corrected.",
        ),
        "es": (
            "Cambiar la dirección de facturación y los datos de pago",
            "El titular de la cuenta cambia la dirección de facturación, el NIF y la tarjeta en Ajustes → Facturación.",
            "Solo el titular de la cuenta ve los ajustes de facturación.\n\n"
            "* La **dirección de facturación** aparece en cada factura a partir de la siguiente.\n"
            "* **Tarjeta de pago**: añade primero la nueva y después elimina la antigua.",
        ),
    },
    {
        "slug": "download-invoices",
        "category": "account-billing",
        "tags": "invoice, pdf, receipts",
        "en": (
            "Download past invoices",
            "Every invoice is available as a PDF under Settings → Billing → Invoices.",
            "Open **Settings → Billing → Invoices** to see every invoice since your account was created. "
            "Choose one to download it as a PDF, or select several to receive them in one ZIP file.",
        ),
    },
    {
        "slug": "first-steps",
        "category": "getting-started",
        "tags": "onboarding, setup",
        "en": (
            "Get started: set up your account",
            "Confirm your email, fill in your profile and pick your language and time zone.",
            "Welcome! A few minutes now save time later.\n\n"
            "1. **Confirm your email address** from the message we sent when you signed up.\n"
            "2. **Fill in your profile** so colleagues recognise you.\n"
            "3. **Pick your language and time zone** under Preferences; emails follow them.\n"
            "4. **Invite your team** when you are ready.",
        ),
        "es": (
            "Primeros pasos: configura tu cuenta",
            "Confirma tu correo, completa tu perfil y elige idioma y zona horaria.",
            "¡Bienvenido! Unos minutos ahora ahorran tiempo después.\n\n"
            "1. **Confirma tu dirección de correo**.\n"
            "2. **Completa tu perfil**.\n"
            "3. **Elige tu idioma y tu zona horaria** en Preferencias.",
        ),
        "fr": (
            "Bien démarrer : configurer votre compte",
            "Confirmez votre e-mail, complétez votre profil, choisissez langue et fuseau horaire.",
            "Bienvenue ! Quelques minutes maintenant en font gagner beaucoup ensuite.\n\n"
            "1. **Confirmez votre adresse e-mail**.\n"
            "2. **Complétez votre profil**.\n"
            "3. **Choisissez votre langue et votre fuseau horaire** dans Préférences.",
        ),
    },
    {
        "slug": "invite-team",
        "category": "getting-started",
        "tags": "users, colleagues, seats",
        "en": (
            "Invite your team members",
            "Account owners invite colleagues by email from Settings → Team.",
            "Go to **Settings → Team** and choose **Invite**. Enter one email address per line; each colleague "
            "receives an invitation valid for seven days. Team members can open tickets and read every ticket "
            "of your organization.",
        ),
    },
    {
        "slug": "export-data",
        "category": "getting-started",
        "tags": "gdpr, privacy, download",
        "en": (
            "Export your data (GDPR)",
            "Download a copy of all your data from Settings → Privacy; the archive is ready within a day.",
            "You can download your data at any time, for example before you close your account.\n\n"
            "Go to **Settings → Privacy → Export**. We prepare a ZIP archive with your tickets, messages and "
            "attachments, and email you a download link valid for seven days.",
        ),
    },
    {
        "slug": "vpn-disconnects",
        "category": "troubleshooting",
        "tags": "vpn, network, connection",
        "en": (
            "VPN disconnects every hour",
            "A VPN that drops on the hour is usually renegotiating its key; update the client and turn on keep-alive.",
            "If your VPN connection drops at regular intervals, the tunnel is most likely renegotiating.\n\n"
            "1. Update the VPN client to the latest version.\n"
            "2. Turn on **keep-alive** in the connection settings.\n"
            "3. If it still drops, send us the client log from the time it disconnected.",
        ),
        "es": (
            "La VPN se desconecta cada hora",
            "Si la VPN se cae a cada hora suele estar renegociando la clave; actualiza el cliente y activa keep-alive.",
            "Si la conexión VPN se corta a intervalos regulares, el túnel probablemente se está renegociando.\n\n"
            "1. Actualiza el cliente VPN a la última versión.\n"
            "2. Activa **keep-alive** en los ajustes de la conexión.\n"
            "3. Si sigue fallando, envíanos el registro del cliente.",
        ),
    },
    {
        "slug": "verification-email-missing",
        "category": "troubleshooting",
        "tags": "email, verification, spam",
        "en": (
            "The verification email did not arrive",
            "Check your spam folder, then ask for a new email from the sign-in page.",
            "Verification emails usually arrive within two minutes.\n\n"
            "* Look in your **spam** or junk folder.\n"
            "* Make sure the address on your account is spelled right.\n"
            "* Ask for a new email from the sign-in page; older links stop working.\n\n"
            "Company mail filters sometimes hold our messages: ask your IT team to allow our domain.",
        ),
        "es": (
            "No me llega el correo de verificación",
            "Revisa la carpeta de spam y pide un correo nuevo desde la página de acceso.",
            "Los correos de verificación suelen llegar en dos minutos.\n\n"
            "* Mira en la carpeta de **spam** o correo no deseado.\n"
            "* Comprueba que la dirección de tu cuenta está bien escrita.\n"
            "* Pide un correo nuevo desde la página de acceso.",
        ),
    },
    {
        "slug": "escalation-handoff",
        "category": "agent-playbooks",
        "tags": "escalation, handoff, l2",
        "en": (
            "Writing an escalation handoff",
            "Every escalation carries a summary, the impact, the steps already tried and what the customer was told.",
            "The next level must never ask the customer again.\n\n"
            "* **Summary**: the problem in two sentences.\n"
            "* **Impact**: who is affected and how badly.\n"
            "* **Steps already tried**, with their results.\n"
            "* **Customer communication** so far, and what was promised.",
        ),
    },
    {
        "slug": "refunds-and-credits",
        "category": "agent-playbooks",
        "tags": "refund, credit, billing",
        "en": (
            "Approving refunds and service credits",
            "Agents may grant credits up to one month's fee; larger refunds go to the account manager.",
            "Credits compensate for a breached service level. Record the ticket reference on every credit; "
            "refunds above one month's fee need the account manager's approval.",
        ),
    },
    {
        "slug": "api-rate-limits",
        "category": "developers",
        "tags": "api, rate limit, retries",
        "en": (
            "API rate limits and retries",
            "The API allows 600 requests a minute per token; retry after the time in the Retry-After header.",
            "When a token exceeds its allowance the API answers **429** with a `Retry-After` header. "
            "Back off exponentially and never retry more than five times.",
        ),
    },
]

RELATED = [
    ("reset-password", "enable-two-factor"),
    ("reset-password", "verification-email-missing"),
    ("reset-password", "escalation-handoff"),
    ("update-billing-details", "download-invoices"),
    ("update-billing-details", "refunds-and-credits"),
    ("first-steps", "invite-team"),
    ("first-steps", "export-data"),
    ("vpn-disconnects", "verification-email-missing"),
]

# Twenty questions readers ask, each with the article that must come up in the top three.
SEARCH_CHECKS = [
    ("reset password", "en", "reset-password"),
    ("forgot my password", "en", "reset-password"),
    ("two factor authentication", "en", "enable-two-factor"),
    ("authenticator app", "en", "enable-two-factor"),
    ("billing address", "en", "update-billing-details"),
    ("invoice pdf", "en", "download-invoices"),
    ("vpn drops", "en", "vpn-disconnects"),
    ("verification email", "en", "verification-email-missing"),
    ("spam folder", "en", "verification-email-missing"),
    ("invite colleagues", "en", "invite-team"),
    ("export data gdpr", "en", "export-data"),
    ("get started", "en", "first-steps"),
    ("team members", "en", "invite-team"),
    ("download my data", "en", "export-data"),
    ("contraseña", "es", "reset-password"),
    ("restablecer contraseña", "es", "reset-password"),
    ("correo de verificación", "es", "verification-email-missing"),
    ("facturación", "es", "update-billing-details"),
    ("VPN se desconecta", "es", "vpn-disconnects"),
    ("mot de passe", "fr", "reset-password"),
]


def install_categories():
    categories = {}
    for slug, audience, days, position, names in CATEGORIES:
        fields = {"audience": audience, "review_every_days": days, "position": position}
        for code, (name, description) in names.items():
            suffix = code.replace("-", "_")
            fields[f"name_{suffix}"] = name
            fields[f"description_{suffix}"] = description
        categories[slug], _created = Category.objects.get_or_create(slug=slug, defaults=fields)
    return categories


def install(*, author, approver):
    """Create the demo categories and articles that do not exist yet; return how many articles were new."""
    categories = install_categories()
    created = 0
    for spec in ARTICLES:
        if Article.objects.filter(slug=spec["slug"]).exists():
            continue
        article = Article(slug=spec["slug"], category=categories[spec["category"]], tags=spec["tags"])
        for code in ("en", "es", "fr"):
            if code in spec:
                title, summary, body = spec[code]
                setattr(article, f"title_{code}", title)
                setattr(article, f"summary_{code}", summary)
                setattr(article, f"body_{code}", body)
        with transaction.atomic():
            services.save_article(author, article)
            services.submit_for_review(author, article)
            services.publish_article(approver, article)
        created += 1
    by_slug = {a.slug: a for a in Article.objects.filter(slug__in=[s for pair in RELATED for s in pair])}
    for one, other in RELATED:
        if one in by_slug and other in by_slug:
            by_slug[one].related.add(by_slug[other])
    return created


# --- volume ------------------------------------------------------------------------------

_TOPICS = str.split(
    "dashboard widget connector pipeline report schedule workspace folder template label webhook calendar "
    "timeline board tracker sensor gateway replica bucket snapshot mailbox channel queue filter metric alert"
)
_ACTIONS = str.split("configure rename archive migrate share duplicate pause resume tune monitor compare restore")
_FILLER = str.split(
    "when you open the panel the list shows every item with its owner and the last change you can sort it by name "
    "or by date and narrow it with a filter settings keep your choice for the next visit an administrator may "
    "limit who can see each item and the history records every change with the time and the person the export "
    "button writes a file with the current view and the team gets a notice when something changes account data "
    "stays in your region and backups run every night"
)


def synthetic_articles(count, *, category, seed=7):
    """`count` unsaved published articles of plausible but unrelated help text, for volume."""
    rng = random.Random(seed)  # noqa: S311 - filler text, not security
    now = timezone.now()
    for n in range(count):
        topic, action, other = rng.choice(_TOPICS), rng.choice(_ACTIONS), rng.choice(_TOPICS)
        title = f"{action.capitalize()} a {topic} for your {other}"
        body = " ".join(rng.choice(_FILLER) for _ in range(rng.randint(60, 140))).capitalize() + "."
        yield Article(
            slug=f"bench-{n}",
            category=category,
            title_en=title,
            summary_en=f"How to {action} a {topic} in a few steps.",
            body_en=body,
            tags=f"{topic}, {other}",
            status=Status.PUBLISHED,
            published_at=now,
            updated_at=now,
            view_count=rng.randint(0, 500),
        )


def install_synthetic(count, *, category, batch=1000):
    """Insert synthetic published articles in bulk with their search rows; returns the ids."""
    ids = []
    articles = list(synthetic_articles(count, category=category))
    for start in range(0, len(articles), batch):
        created = Article.objects.bulk_create(articles[start : start + batch])
        batch_ids = [a.pk for a in created]
        if batch_ids and batch_ids[0] is None:  # backends that do not return ids from bulk inserts
            batch_ids = list(Article.objects.filter(slug__in=[a.slug for a in created]).values_list("pk", flat=True))
        reindex_articles(batch_ids)
        ids.extend(batch_ids)
    return ids
