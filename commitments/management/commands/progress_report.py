"""``progress_report --period 2026-Q3 [--publish]``: what the scheduler runs after each period ends.

Re-running for the same period refreshes its draft (or leaves a published report untouched);
it never makes a second report. Bad input: one line on stderr, non-zero exit, nothing created.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from commitments import services
from commitments.reports.periods import parse_period, period_from_dates


def _iso(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Create (or refresh) the progress report for a period; --publish freezes and publishes it."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2026-Q3, 2026-H2 or 2026")
        parser.add_argument("--start", help="first day (YYYY-MM-DD), with --end, instead of --period")
        parser.add_argument("--end", help="last day (YYYY-MM-DD)")
        parser.add_argument("--publish", action="store_true", help="publish it (freezes the figures)")
        parser.add_argument("--pdf", metavar="FILE", help="also write the report as a PDF to FILE")

    def handle(self, *args, period=None, start=None, end=None, publish=False, pdf=None, **options):
        try:
            if period and (start or end):
                raise CommandError("Give either --period or --start and --end, not both.")
            if period:
                chosen = parse_period(period)
            elif start and end:
                chosen = period_from_dates(_iso(start), _iso(end))
            else:
                raise CommandError("Give --period (e.g. 2026-Q3) or both --start and --end.")
            report, created = services.prepare_report(period=chosen)
            if report.is_published:
                self.stdout.write(f"Report “{report.title}” is already published ({report.slug}); left unchanged.")
            else:
                self.stdout.write(
                    f"{'Created' if created else 'Refreshed'} draft report “{report.title}” ({report.slug})."
                )
                if publish:
                    report = services.publish_report(report=report, user=None)
                    self.stdout.write(self.style.SUCCESS(f"Published {report.get_absolute_url()}"))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if pdf:
            from commitments.reports import pdf_store as report_pdf_store
            from commitments.reports import render as report_render

            if report.is_published:  # the stored PDF readers get (rendered and stored now if it has none)
                content = report_pdf_store.stored(report).content
            else:
                content = report_render.render_pdf(report, base_url=settings.SITE_URL)
            with open(pdf, "wb") as fh:
                fh.write(content)
            self.stdout.write(f"Wrote {pdf}")
