"""Verify every patrol's hash chain and the points its batches vouch for; name the first break of each."""

import sys

from django.core.management.base import BaseCommand

from patrols.audit import patrols_verify
from patrols.models import Patrol


class Command(BaseCommand):
    help = "Verify the hash chains of all patrols and their points; exit 1 naming each broken patrol."

    def handle(self, *args, **options) -> None:
        broken = 0
        for problem in patrols_verify():
            broken += 1
            self.stderr.write(str(problem))
        total = Patrol.objects.count()
        if broken:
            self.stderr.write(f"{broken} of {total} patrols do not verify")
            sys.exit(1)
        self.stdout.write(f"{total} patrols verified")
