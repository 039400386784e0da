"""Link current residents to the houses their free-text addresses name; list the rest for their grids."""

from django.core.management.base import BaseCommand, CommandError

from grids.models import Grid
from places.services import residents_link_addresses


class Command(BaseCommand):
    help = (
        "Link every current resident without a home in the base data to the house their address names "
        "(variants normalised); residents whose address matches no house are listed for their grid "
        "administrators (Base data → Unmatched addresses). Nothing is changed for residents already housed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grid", action="append", default=[], help="a 14-digit grid code (repeatable)")

    def handle(self, *args, **options):
        grid_ids = None
        if options["grid"]:
            found = dict(Grid.objects.filter(code__in=options["grid"]).values_list("code", "id"))
            missing = sorted(set(options["grid"]) - set(found))
            if missing:
                raise CommandError(f"no grid {', '.join(missing)}")
            grid_ids = list(found.values())
        result = residents_link_addresses(grid_ids=grid_ids)
        self.stdout.write(f"{result.matched} linked to a house, {result.unmatched} listed as unmatched")
