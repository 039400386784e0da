"""Print the partition report of a district, street or community: coverage, gaps, overlaps, size balance."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grids.models import Jurisdiction
from grids.partition import DEFAULT_SLIVER_M2, partition_report, partition_report_lines


class Command(BaseCommand):
    help = (
        "Report how well the grids of a jurisdiction partition it: share of its boundary covered, gaps, "
        "overlaps, and grid area and resident count per grid (min/median/max, grids outside ±50% of the "
        "median)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="6-digit district, 9-digit street or 12-digit community code")
        parser.add_argument(
            "--sliver-tolerance",
            type=float,
            default=DEFAULT_SLIVER_M2,
            metavar="M2",
            help=f"gaps and overlaps below this are counted as slivers (default {DEFAULT_SLIVER_M2:g} m²)",
        )

    def handle(self, *args, code: str, sliver_tolerance: float, **options) -> None:
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
        if jurisdiction is None:
            raise CommandError(f"there is no district, street or community {code}")
        report = partition_report(jurisdiction=jurisdiction, tolerance_m2=sliver_tolerance)
        for line in partition_report_lines(report):
            self.stdout.write(line)
