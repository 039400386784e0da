"""Import a GeoJSON grid layer: the whole file is checked first; a file with any problem imports nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.layer_io import LayerInvalid, grid_layer_import
from grids.partition import DEFAULT_SLIVER_M2


class Command(BaseCommand):
    help = (
        "Import a GeoJSON FeatureCollection of grids (properties `code`: 14 digits, `name`; others are "
        "kept). Missing districts, streets and communities are created from the codes. Nothing is written "
        "unless the whole file is valid. With --replace the file becomes the whole layer: grids it leaves "
        "out are deleted (so never --replace with a one-community export)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection (UTF-8)")
        parser.add_argument(
            "--replace", action="store_true", help="delete stored grids that are not in the file"
        )
        parser.add_argument(
            "--sliver-tolerance",
            type=float,
            default=DEFAULT_SLIVER_M2,
            metavar="M2",
            help=f"overlaps and gaps below this are warnings, not errors (default {DEFAULT_SLIVER_M2:g} m²)",
        )

    def handle(self, *args, file: str, replace: bool, sliver_tolerance: float, **options) -> None:
        if sliver_tolerance < 0:
            raise CommandError("--sliver-tolerance cannot be negative")
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from exc
        try:
            result = grid_layer_import(content=content, replace=replace, tolerance_m2=sliver_tolerance)
        except LayerInvalid as exc:
            self._warn(exc.warnings)
            raise CommandError("\n".join([f"{file}: {exc.message}, nothing imported", *exc.errors])) from exc
        self._warn(result.warnings)
        if result.jurisdictions_created:
            self.stdout.write(f"created jurisdictions: {', '.join(result.jurisdictions_created)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}: {result.created} grids created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.deleted} deleted; grid layer version {result.version}"
            )
        )

    def _warn(self, warnings: list[str]) -> None:
        for line in warnings:
            self.stderr.write(self.style.WARNING(f"warning: {line}"))
