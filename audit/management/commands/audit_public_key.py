"""Print the public key of the checkpoint signing key, to publish where auditors can fetch it."""

from django.core.management.base import BaseCommand, CommandParser

from audit import keys


class Command(BaseCommand):
    help = (
        "Print the public half of AUDIT_SIGNING_KEY as PEM (or --hex: 64 hex digits, the form "
        "AUDIT_TRUSTED_PUBLIC_KEYS also takes). Its key id, named in every checkpoint it signs, goes to "
        "stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hex", action="store_true", help="print the raw public key as 64 hex digits")

    def handle(self, *args, hex: bool = False, **options) -> None:
        public = keys.public_key()
        self.stdout.write(keys.public_key_hex(public) if hex else keys.public_key_pem(public).rstrip("\n"))
        self.stderr.write(f"key id {keys.key_id(public)}")
