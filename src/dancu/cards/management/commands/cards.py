"""``dancu cards``: the chip PKI and the simulated chip.

- ``dancu cards pki rotate``: start a new Document Signer issuing period (and publish the CRL and master list);
- ``dancu cards pki revoke SERIAL``: put a Document Signer on the CRL;
- ``dancu cards pki publish [--out DIR]``: write ``masterlist.ml`` and ``csca.crl``;
- ``dancu cards pki list``: the Document Signers and their periods;
- ``dancu cards personalise [--limit N]``: write the chips of cards that have none yet;
- ``dancu cards chip PIN --out DIR``: the simulated chip's files (EF.COM, DGs, EF.SOD) of the person's card;
- ``dancu cards chip PIN --challenge HEX``: its answer to an active-authentication challenge (hex).
"""

from __future__ import annotations

import binascii
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.cards import chip as chips
from dancu.cards import pki
from dancu.cards.models import DocumentSigner
from dancu.core.errors import DomainError
from dancu.core.pin import normalise_pin, parse_pin

FILES = {
    "EF.COM": "ef_com",
    "DG1": "dg1",
    "DG2": "dg2",
    "DG13": "dg13",
    "DG14": "dg14",
    "DG15": "dg15",
    "EF.SOD": "sod",
}


class Command(BaseCommand):
    help = "The chip PKI (Document Signer rotation, CRL, master list) and the simulated chip."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="area", required=True)
        pki_parser = sub.add_parser("pki", help="CSCA, Document Signers, CRL and master list.")
        pki_parser.add_argument("action", choices=["rotate", "revoke", "publish", "list"])
        pki_parser.add_argument("serial", nargs="?", default="", help="The Document Signer to revoke (hex).")
        pki_parser.add_argument("--out", default="", help="Where to publish (default DANCU_PKI_PUBLIC_DIR).")
        personalise = sub.add_parser("personalise", help="Write the chips of cards that have none.")
        personalise.add_argument("--limit", type=int, default=None)
        chip = sub.add_parser("chip", help="The simulated chip of a person's most recent card.")
        chip.add_argument("pin")
        chip.add_argument("--out", default="", help="Write EF.COM, the data groups and EF.SOD into this directory.")
        chip.add_argument("--challenge", default="", help="Answer this active-authentication challenge (8 bytes hex).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['area']}")(options)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from error

    def _pki(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "rotate":
            signer = pki.rotate_document_signer()
            self.stdout.write(f"Document Signer {signer.serial} signs until {signer.issuing_until:%Y-%m-%d}")
        elif action == "revoke":
            if not options["serial"]:
                raise CommandError("serial_required: name the Document Signer to revoke (hex serial).")
            signer = pki.revoke_document_signer(options["serial"])
            self.stdout.write(f"Document Signer {signer.serial} revoked")
        elif action == "publish":
            self.stdout.write(str(pki.publish(options["out"] or None)))
        else:
            for signer in DocumentSigner.objects.all():
                state = "revoked" if signer.revoked_at else "active"
                self.stdout.write(
                    f"{signer.serial}\t{signer.issuing_from:%Y-%m-%d}\t{signer.issuing_until:%Y-%m-%d}\t{state}"
                )

    def _personalise(self, options: dict[str, Any]) -> None:
        count = chips.personalise_missing(limit=options["limit"])
        self.stdout.write(f"{count} chips personalised")

    def _chip(self, options: dict[str, Any]) -> None:
        pin = normalise_pin(options["pin"])
        parse_pin(pin)
        if not options["out"] and not options["challenge"]:
            raise CommandError("chip_action_required: give --out DIR or --challenge HEX.")
        chip = chips.chip_for(pin)
        if options["out"]:
            directory = Path(options["out"])
            directory.mkdir(parents=True, exist_ok=True)
            for name, attribute in FILES.items():
                (directory / f"{name}.bin").write_bytes(bytes(getattr(chip, attribute)))
            (directory / "QR.txt").write_text(chip.qr_payload + "\n", encoding="utf-8")
            self.stdout.write(f"{len(FILES)} files written to {directory}")
        if options["challenge"]:
            try:
                challenge = binascii.unhexlify(options["challenge"])
            except (binascii.Error, ValueError) as error:
                raise CommandError("aa_challenge_invalid: the challenge is hex.") from error
            if len(challenge) != 8:
                raise CommandError("aa_challenge_invalid: the challenge is 8 bytes (16 hex digits).")
            self.stdout.write(chips.answer_challenge(chip, challenge).hex())
