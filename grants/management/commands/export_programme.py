"""Export one programme's data as a ZIP that another system or an auditor can read without our code.

    manage.py export_programme <programme id or name> [--output file.zip] [--year YYYY]
                                                      [--include-files | --no-files]

What the archive holds, and what personal data is left out, is described in docs/backup.md and in
the archive's own manifest.json (``grants/exports_programme.py`` writes it).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from grants.exports_programme import export_programme, find_programme


class Command(BaseCommand):
    help = "Export one programme (calls, applications, review, funding, reports) as a ZIP."

    def add_arguments(self, parser) -> None:
        parser.add_argument("programme", help="The programme's id or its exact name.")
        parser.add_argument(
            "--output",
            "-o",
            help="The ZIP to write (default: programme-<id>[-<year>]-<timestamp>.zip here).",
        )
        parser.add_argument(
            "--year", type=int, help="Only the calls that open in this year (and their data)."
        )
        files = parser.add_mutually_exclusive_group()
        files.add_argument(
            "--include-files",
            dest="include_files",
            action="store_true",
            default=True,
            help="Put the attached files under files/ (the default).",
        )
        files.add_argument(
            "--no-files",
            dest="include_files",
            action="store_false",
            help="Leave the files out; rows still name the stored file.",
        )

    def handle(self, *args, programme, output, year, include_files, **options) -> None:
        try:
            found = find_programme(programme)
        except LookupError as error:
            raise CommandError(str(error)) from None
        if year is not None and not 1900 < year < 3000:
            raise CommandError(f"--year {year} is not a year.")
        if output is None:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            suffix = f"-{year}" if year else ""
            output = f"programme-{found.pk}{suffix}-{stamp}.zip"
        path = Path(output)
        if path.is_dir():
            raise CommandError(f"{path} is a directory; give a file name ending in .zip.")
        if not path.parent.exists():
            raise CommandError(f"The folder {path.parent} does not exist.")
        started = time.monotonic()
        result = export_programme(found, output=path, year=year, include_files=include_files)
        elapsed = time.monotonic() - started
        for name, count in result.rows.items():
            self.stdout.write(f"  {name}: {count}")
        if result.missing_files:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(result.missing_files)} stored file(s) were missing and are listed "
                    "under missing_files in manifest.json."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {found} (id {found.pk}) to {path}: "
                f"{sum(result.rows.values())} rows, {result.files} files, "
                f"{result.bytes / 1_000_000:.1f} MB in {elapsed:.1f} s."
            )
        )
