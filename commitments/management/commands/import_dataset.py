"""Restore a dump written by export_dataset into an empty database, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from commitments.dataset import DatasetInvalid, DatasetRefused, import_dataset


class Command(BaseCommand):
    help = (
        "Restore a dump written by export_dataset (DIR with datapackage.json) into an EMPTY database: refused if "
        "any tracker row exists. Every file and row is checked first (a problem is named by file and line, and "
        "nothing is written); then everything is written in one transaction, keeping ids and slugs; each "
        "commitment's current status is recomputed from its updates; PostgreSQL id sequences are advanced; the "
        "page cache is invalidated. History: each restored row gets one 'created' history record dated now "
        "(reason: restored from an open-data dump); the history before the dump is not in it. Staff accounts "
        "are not in the dump: restored updates and reports name no publisher."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="Folder holding datapackage.json and the CSV/JSON files")

    def handle(self, *args, directory, **options):
        try:
            counts = import_dataset(directory)
        except DatasetRefused as exc:
            raise CommandError(str(exc)) from None
        except DatasetInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            more = len(exc.problems) - 1
            tail = f" (and {more} more problem{'s' if more > 1 else ''}, listed above)" if more else ""
            raise CommandError(f"Nothing imported: {exc.problems[0]}{tail}") from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} rows")
        self.stdout.write(self.style.SUCCESS(f"Imported {directory}"))
