"""`manage.py rotate_pii_key`: re-encrypt every resident's PII with the first FIELD_ENCRYPTION_KEY key.

Rotation: set FIELD_ENCRYPTION_KEY="NEW,OLD" everywhere, run this once, then set FIELD_ENCRYPTION_KEY="NEW".
The ID number hashes do not change (they use FIELD_HASH_KEY), so uniqueness and search keep working.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from grids import pii
from grids.models import Resident

ENCRYPTED_FIELDS = ("name_encrypted", "id_number_encrypted", "phone_encrypted")


class Command(BaseCommand):
    help = "Re-encrypt every resident's name, ID number and phone with the first FIELD_ENCRYPTION_KEY key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options):
        done = 0
        last_pk = 0
        while True:
            # One short transaction per batch, walking by primary key: no long lock, restartable at any point
            # (re-encrypting an already rotated value is harmless).
            with transaction.atomic():
                batch = list(
                    Resident.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *ENCRYPTED_FIELDS)[:batch_size]
                )
                if not batch:
                    break
                try:
                    for resident in batch:
                        for name in ENCRYPTED_FIELDS:
                            setattr(resident, name, pii.reencrypt(getattr(resident, name)))
                except pii.PiiKeyError as exc:
                    raise CommandError(f"resident {resident.pk}: {exc}") from None
                Resident.objects.bulk_update(batch, ENCRYPTED_FIELDS)
            done += len(batch)
            last_pk = batch[-1].pk
        self.stdout.write(f"{done} residents re-encrypted with the first FIELD_ENCRYPTION_KEY key")
