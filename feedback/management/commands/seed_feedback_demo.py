from django.core.management.base import BaseCommand

from feedback.demo import seed_feedback_demo


class Command(BaseCommand):
    help = "Demo survey answers and a quality review (idempotent); run by seed_demo."

    def handle(self, *args, **options):
        self.stdout.write(f"Feedback demo: {seed_feedback_demo()} rows added.")
