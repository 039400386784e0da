"""Verify everything the audit trail vouches for: every case's and patrol's hash chain, the photos the
chains hold hashes of, and every signed checkpoint against the log outside the database and the events."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.log import CheckpointLogError, checkpoint_log
from audit.verify import checkpoints_verify, photos_verify
from cases.audit import chain_verify, chains_verify
from cases.models import Case, CaseEvent
from patrols.audit import patrols_verify
from patrols.models import Patrol


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class Command(BaseCommand):
    help = (
        "Check every case's event chain (or one case's with --case), every patrol's, the hashed photos and "
        "every signed checkpoint. Exits 0 when all is intact (--verbosity 2 tells what was checked besides "
        "the cases); otherwise prints one line per problem (for a case: number, first broken seq, reason) "
        "and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case", metavar="NUMBER", help="verify only the case with this number (and its photos)"
        )
        parser.add_argument("--skip-patrols", action="store_true", help="leave the patrol chains out")
        parser.add_argument("--skip-photos", action="store_true", help="leave the photo files out")
        parser.add_argument("--skip-checkpoints", action="store_true", help="leave the checkpoints out")
        parser.add_argument(
            "--log", metavar="PATH_OR_URL", help="read checkpoints here, not AUDIT_CHECKPOINT_LOG"
        )

    def handle(self, *args, case: str | None = None, **options) -> None:
        found = None
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
        failures, done = [], []
        for link in broken:
            self.stdout.write(str(link))  # "case <number>: event #<seq> <reason>"
        if broken:
            noun = "case" if checked == 1 else "cases"
            failures.append(f"{len(broken)} of {checked} {noun} have a broken event chain")
        else:
            done.append(f"{_plural(checked, 'case')} checked, all chains intact")

        if found is None and not options["skip_patrols"]:
            patrol_breaks = [str(problem) for problem in patrols_verify()]
            total = Patrol.objects.count()
            self._report(patrol_breaks, failures, f"{len(patrol_breaks)} of {total} patrols do not verify")
            if total and not patrol_breaks:
                done.append(f"{_plural(total, 'patrol')} verified")

        if not options["skip_photos"]:
            photos = photos_verify(case=found)
            self._report(photos.problems, failures, f"{len(photos.problems)} photo problems")
            if photos.checked + photos.unhashed and not photos.problems:
                done.append(
                    f"{_plural(photos.checked, 'photo')} match their chains"
                    + (f" ({photos.unhashed} from before hashing, not checked)" if photos.unhashed else "")
                )

        if found is None and not options["skip_checkpoints"]:
            log = checkpoint_log(options["log"])
            try:
                report = checkpoints_verify(log)
            except CheckpointLogError as exc:
                self.stdout.write(f"checkpoint log: {exc}")
                failures.append("the checkpoint log could not be read")
            else:
                self._report(report.problems, failures, f"{len(report.problems)} checkpoint problems")
                if report.checked and not report.problems:
                    done.append(f"{_plural(report.checked, 'checkpoint')} verified against {log}")
                elif not report.checked and not report.problems and checked:
                    self.stderr.write(
                        f"no checkpoint in {log} yet: a history rewritten with the chain key would go"
                        " unnoticed"
                    )

        if failures:
            # CommandError makes call_command raise and manage.py exit with status 1.
            raise CommandError("; ".join(failures))
        # The first line is the contract scripts read; what else was checked is told at --verbosity 2.
        for line in done[:1] if options["verbosity"] < 2 else done:
            self.stdout.write(self.style.SUCCESS(line))

    def _report(self, problems: list[str], failures: list[str], summary: str) -> None:
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            failures.append(summary)
