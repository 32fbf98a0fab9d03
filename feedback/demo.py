"""Demo feedback for `seed_demo`: a few answers to the invitations the demo's resolved tickets
received, and one quality review. Idempotent: does nothing once demo answers exist."""

from django.db import transaction

from helpdesk.models import User

from . import services
from .models import Invitation, QualityReview, Response, ReviewCriterion, ReviewItem

ANSWERS = [
    (5, "Clear and quick, thank you.", {"speed": 5, "clarity": 5, "effectiveness": 5, "professionalism": 5}),
    (2, "The invoice is still wrong and I had to wait two days for an answer.", {"speed": 1}),
    (4, "", {}),
]


def seed_feedback_demo():
    """Returns how many answers and reviews were added."""
    added = 0
    with transaction.atomic():
        if not Response.objects.exists():
            invitations = Invitation.objects.filter(answered_at__isnull=True, ticket__isnull=False).order_by("pk")
            for invitation, (score, comment, ratings) in zip(invitations, ANSWERS, strict=False):
                services.answer_survey(None, invitation, score=score, comment=comment, **ratings)
                added += 1
        reviewer = User.objects.filter(username="manager").first()
        item = ReviewItem.objects.waiting().order_by("pk").first()
        if reviewer and item and not QualityReview.objects.exists():
            criteria = ReviewCriterion.objects.filter(is_active=True)
            scores = {c.pk: (1 if c.scale == "pass_fail" else 3) for c in criteria}
            services.submit_review(
                reviewer, item, scores=scores, notes="Answer the billing question in the first reply."
            )
            added += 1
    return added
