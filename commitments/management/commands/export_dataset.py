"""Write the published record as open data: CSV and JSON per table, with a Frictionless datapackage.json."""

from django.core.management.base import BaseCommand, CommandError

from commitments.dataset import DatasetRefused, export_dataset


class Command(BaseCommand):
    help = (
        "Write everything the public can see (published commitments, their published status updates and those "
        "updates' evidence, the sources, actors, countries and themes they use, published progress reports) into "
        "DIR as CSV and JSON with a Frictionless datapackage.json. Drafts, archived commitments, entries only they "
        "use, unreviewed evidence, staff accounts, internal notes (a source's too) and history are left out. "
        "DIR is written whole or not at all (a temporary folder beside it is renamed into place). "
        "Refused if DIR is not empty (without --force) or if the "
        "database holds synthetic demo data (without --allow-synthetic)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="Folder to write (created if missing)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace DIR although it is not empty (only if it holds an earlier dump: a datapackage.json)",
        )
        parser.add_argument(
            "--allow-synthetic",
            action="store_true",
            help="Export a database holding synthetic demo data; datapackage.json then says it is synthetic",
        )

    def handle(self, *args, directory, force, allow_synthetic, **options):
        try:
            counts = export_dataset(directory, force=force, allow_synthetic=allow_synthetic)
        except DatasetRefused as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Nothing exported: {exc}") from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} rows")
        self.stdout.write(self.style.SUCCESS(f"Exported to {directory}"))
