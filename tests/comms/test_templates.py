"""Message templates: the placeholder vocabulary, safe rendering, translations and the admin preview."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from comms.defaults import TEMPLATES, install_default_templates
from comms.models import MessageTemplate
from comms.services import render_template
from comms.templating import problems, render, render_subject, samples

pytestmark = pytest.mark.django_db


def template(**fields):
    return MessageTemplate(kind="reply", name="Ask", slug="ask", **fields)


def test_a_misspelt_placeholder_is_refused_naming_it_and_its_language():
    bad = template(subject_en="Hi", body_en="Hello {{ customer_name }}", body_es="Hola {{ custmer_name }}")
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert "body_es" in refused.value.message_dict
    assert "custmer_name" in refused.value.message_dict["body_es"][0]
    assert "body_en" not in refused.value.message_dict


def test_a_placeholder_of_another_kind_is_refused():
    assert problems("reply", "Next update at {{ next_update_time }}")
    assert not problems("incident_update", "Next update at {{ next_update_time }}")


@pytest.mark.parametrize(
    "text",
    [
        "{{ ticket.requester.password }}",
        "{{ customer_name|upper }}",
        "{% load static %}",
        "{{ customer_name.__class__ }}",
        "{# hidden #}",
        "{{ customer_name",
    ],
)
def test_anything_but_a_plain_placeholder_is_refused(text):
    assert problems("reply", f"Hello {text}")


def test_rendering_substitutes_plain_text_and_nothing_else():
    values = {"customer_name": "<b>Ana</b> {{ ticket_ref }}", "ticket_ref": "FL-1042"}
    # Values are never rendered again: a value that looks like a placeholder stays as typed.
    assert render("Hi {{ customer_name }} / {{ ticket_ref }}", values) == "Hi <b>Ana</b> {{ ticket_ref }} / FL-1042"


def test_a_subject_cannot_carry_a_new_header():
    subject = render_subject(
        "[{{ ticket_ref }}] {{ ticket_subject }}", {"ticket_ref": "FL-1", "ticket_subject": "x\r\nBcc: all@example.com"}
    )
    assert "\n" not in subject and "\r" not in subject
    assert subject == "[FL-1] x Bcc: all@example.com"


def test_a_missing_translation_falls_back_to_english_and_says_so():
    install_default_templates()
    acknowledgement = MessageTemplate.objects.get(slug="ticket-received")
    spanish = render_template(acknowledgement, language="es", values=samples("ticket_ack"))
    assert spanish["language"] == "es" and spanish["subject"].startswith("[FL-1042] Hemos recibido")
    japanese = render_template(acknowledgement, language="ja", values=samples("ticket_ack"))
    assert japanese["language"] == "en" and japanese["subject"].startswith("[FL-1042] We have your request")


def test_default_templates_install_once_and_keep_edits():
    assert install_default_templates() == len(TEMPLATES)
    MessageTemplate.objects.filter(slug="resolved").update(name="Edited")
    assert install_default_templates() == 0
    assert MessageTemplate.objects.get(slug="resolved").name == "Edited"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw", role="admin")
    client.force_login(admin)
    return client


def test_admin_preview_renders_unsaved_text_with_sample_data_in_the_chosen_language(admin_client):
    response = admin_client.post(
        reverse("admin:comms_messagetemplate_preview"),
        {
            "kind": "reply",
            "preview_language": "de",
            "subject_en": "[{{ ticket_ref }}] Hello",
            "body_en": "Hello {{ customer_name }}",
            "subject_de": "[{{ ticket_ref }}] Hallo",
            "body_de": "Hallo {{ customer_name }}, <script>alert(1)</script>",
        },
    )
    html = response.content.decode()
    assert "[FL-1042] Hallo" in html and "Hallo Ana García" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_admin_preview_points_out_a_bad_placeholder_and_the_fallback(admin_client):
    response = admin_client.post(
        reverse("admin:comms_messagetemplate_preview"),
        {"kind": "reply", "preview_language": "ja", "subject_en": "Hi", "body_en": "Hi {{ custmer_name }}"},
    )
    html = response.content.decode()
    assert "custmer_name" in html and "the English text is used" in html


def test_admin_refuses_to_save_a_misspelt_placeholder(admin_client):
    response = admin_client.post(
        reverse("admin:comms_messagetemplate_add"),
        {
            "kind": "reply",
            "name": "Ask",
            "slug": "ask",
            "subject_en": "Hi",
            "body_en": "Hello {{ custmer_name }}",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "custmer_name" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_the_preview_is_for_staff_only(client):
    response = client.post(reverse("admin:comms_messagetemplate_preview"), {"kind": "reply"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_form_has_a_tab_per_language_and_the_preview(admin_client):
    html = admin_client.get(reverse("admin:comms_messagetemplate_add")).content.decode()
    for code in ("en", "es", "fr", "de", "zh_hans", "ja", "pt"):
        assert f'name="body_{code}"' in html
    assert "Preview with sample data" in html and 'hx-post="/admin/comms/messagetemplate/preview/"' in html
