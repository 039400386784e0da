"""Verify the hash chains of case histories and name the first broken link of every broken case."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.audit import chain_verify, chains_verify
from cases.models import Case, CaseEvent


class Command(BaseCommand):
    help = (
        "Check every case's event chain (or one case's with --case). Prints a summary and exits 0 when all "
        "chains are intact; otherwise prints one line per broken case (number, first broken seq, reason) "
        "and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", metavar="NUMBER", help="verify only the case with this number")

    def handle(self, *args, case: str | None = None, **options) -> None:
        if case:
            number = case.strip()
            found = Case.objects.filter(number=number).first()
            if found is None:
                raise CommandError(f"there is no case {number}")
            events = CaseEvent.objects.filter(case=found).order_by("seq")
            link = chain_verify(number, events, head=(found.audit_seq, found.audit_head))
            checked, broken = 1, [link] if link else []
        else:
            checked, broken = chains_verify()
        if broken:
            for link in broken:
                self.stdout.write(str(link))  # "case <number>: event #<seq> <reason>"
            noun = "case" if checked == 1 else "cases"
            # CommandError makes call_command raise and manage.py exit with status 1.
            raise CommandError(f"{len(broken)} of {checked} {noun} have a broken event chain")
        noun = "case" if checked == 1 else "cases"
        self.stdout.write(self.style.SUCCESS(f"{checked} {noun} checked, all chains intact"))
