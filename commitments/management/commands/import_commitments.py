"""Import commitments, sources, evidence and assessments from YAML files (see fixtures/README.md).

A thin wrapper around ``commitments.importing.importer.import_files``: bad input is listed on stderr and
ends in one CommandError line (non-zero exit), never a traceback, and nothing is written. A translations
file (one with ``meta.language``, e.g. fixtures/translations-ru.yaml) given among the files is applied
after the data files by ``commitments.importing.translations``, in the same transaction.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commitments.importing.importer import ImportFailed, SyntheticDatabase, import_files
from commitments.importing.translations import TranslationFailed, apply_translations, translation_language
from commitments.models import Commitment


class Command(BaseCommand):
    help = "Import commitments from YAML files, all or nothing. Safe to run again: unchanged rows stay as they are."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="YAML files, read together as one data set")
        parser.add_argument("--dry-run", action="store_true", help="Check and report what would change; write nothing")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the database already holds any commitment"
        )

    def handle(self, *args, files, dry_run, if_empty, **options):
        if if_empty and Commitment.objects.exists():
            self.stdout.write("Skipped: the database already holds commitments, so staff edits are left alone.")
            return
        translations = [f for f in files if translation_language(f)]
        data_files = [f for f in files if f not in translations]
        summary = translated = None
        try:
            with transaction.atomic():  # the translations name rows the data files create: all or nothing
                if data_files:
                    summary = import_files(paths=data_files, dry_run=dry_run and not translations)
                if translations:
                    translated = apply_translations(paths=translations)
                    if dry_run:
                        transaction.set_rollback(True)
        except (ImportFailed, TranslationFailed) as exc:
            raise CommandError(self._failure(exc.problems)) from None
        except SyntheticDatabase as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        for note in summary.notes if summary else ():
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        for line in [*(summary.lines() if summary else ()), *(translated.lines() if translated else ())]:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif (summary and summary.changed) or (translated and translated.changed):
            self.stdout.write(self.style.SUCCESS("Imported."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing to change: the database already matches the files."))

    def _failure(self, problems) -> str:
        for problem in problems:
            self.stderr.write(str(problem))
        files = list(dict.fromkeys(p.file for p in problems))
        first = problems[0]
        first_text = first.short() if len(files) == 1 else str(first)
        noun = "error" if len(problems) == 1 else "errors"
        return f"Nothing imported: {len(problems)} {noun} in {', '.join(files)} (first: {first_text})"
