"""Rebuild the feedback report's daily rollup: every day, or the last --days."""

from django.core.management.base import BaseCommand

from feedback import rollup


class Command(BaseCommand):
    help = "Rebuild the feedback report's daily figures (every day unless --days is given)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="only the last N whole days")

    def handle(self, *args, days=None, **options):
        written = rollup.refresh(days=days)
        self.stdout.write(f"feedback rollup: {written} rows written")
