"""Store the unseen messages of the IMAP mailbox (IMAP_HOST, IMAP_USER…) and have them processed."""

import imaplib

from django.core.management.base import BaseCommand, CommandError

from comms.imap import ImapError, fetch_mail


class Command(BaseCommand):
    help = "Fetch unseen messages from the IMAP mailbox, store each, and mark it seen once stored."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=50, help="At most this many messages in one run.")

    def handle(self, *args, limit, **options):
        try:
            report = fetch_mail(limit=limit)
        except (ImapError, imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"stored {report.stored}, already stored {report.duplicates}, failed {len(report.failed)}")
        for line in report.failed:
            self.stderr.write(f"failed: {line}")
