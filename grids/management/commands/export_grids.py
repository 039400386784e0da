"""Export the grid layer (or one community of it) as a GeoJSON FeatureCollection that import_grids reads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.layer_io import feature_collection_text, grid_features
from grids.models import Jurisdiction


class Command(BaseCommand):
    help = (
        "Write the grid layer as GeoJSON, ordered by code, one feature per line: properties code, name and "
        "the grid's kept properties. Importing the output again leaves the layer unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", metavar="FILE", help="write here instead of standard output")
        parser.add_argument("--community", metavar="CODE", help="only the grids of this 12-digit community")

    def handle(self, *args, out: str | None, community: str | None, **options) -> None:
        prefix = ""
        if community is not None:
            if not Jurisdiction.objects.filter(code=community, level=Jurisdiction.Level.COMMUNITY).exists():
                raise CommandError(f"there is no community {community}")
            prefix = community
        features = list(grid_features(prefix=prefix))
        text = feature_collection_text(features)
        if out is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from exc
        self.stderr.write(f"wrote {len(features)} grids to {out}")
