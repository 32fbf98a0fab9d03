import pytest

from tests.helpdesk.conftest import acme, agent, alice, bob, globex, other_agent, ticket  # noqa: F401


@pytest.fixture(autouse=True)
def feedback_defaults(db):
    """The themes, checklist and settings row the data migration installs (a transactional
    test elsewhere may have flushed them)."""
    from feedback.defaults import install_defaults
    from feedback.models import FeedbackTheme, ReviewCriterion, SurveySettings

    install_defaults(FeedbackTheme, ReviewCriterion)
    SurveySettings.current()
