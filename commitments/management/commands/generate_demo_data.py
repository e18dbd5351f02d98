"""Fill a database of its own with synthetic demo data (see ``commitments.demo_data``).

A thin wrapper: refusals end in one CommandError line (non-zero exit) and nothing is written.
"""

from django.core.management.base import BaseCommand, CommandError

from commitments import demo_data


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate a realistic, skewed, synthetic data set for demos and benchmarks: N commitments with about K "
        "status updates each, with evidence, sources and taxonomies. The same --seed gives the same data. Every "
        "row is marked synthetic; no history records are written for them. Refused on a database holding any "
        "real (non-synthetic) row; existing synthetic data is replaced only with --replace. One transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=_positive, required=True, metavar="N", help="How many commitments")
        parser.add_argument(
            "--updates-per-commitment",
            type=_positive,
            default=10,
            metavar="K",
            help="Status updates per commitment on average (each has between 0 and 2K); default 10",
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed; the same seed gives the same data")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the existing synthetic data first (same transaction)"
        )

    def handle(self, *args, commitments, updates_per_commitment, seed, replace, database="default", **options):
        try:
            # Checked before generating (fails fast) and again inside the writing transaction.
            demo_data.check_target(replace=replace)
            summary = demo_data.write(n=commitments, k=updates_per_commitment, seed=seed, replace=replace)
        except demo_data.DemoDataRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(summary.line()))
