"""``shoumi audit verify | checkpoint | archive | guards``: check, anchor and retain the audit log.

Exit status: 0 on success; 1 when ``verify`` finds the log tampered with;
2 when a command cannot run (keys missing, unreadable file, a date inside
the retention period, nothing to sign).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from shoumi.audit import archive, checkpoints, keys
from shoumi.audit.errors import ArchiveError
from shoumi.audit.guards import create_guards, missing_guards
from shoumi.audit.models import CheckpointReason
from shoumi.audit.verification import LogVerification, verify_stored_log
from shoumi.ledger import (
    CheckpointFormatError,
    checkpoint_qr_png,
    checkpoint_qr_text,
    read_checkpoint_export,
)
from shoumi.ledger.keys import public_key_text

EXIT_TAMPERED = 1
EXIT_CANNOT_RUN = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(text)s is not a date; use the form 2026-01-31.") % {"text": text}
        ) from None


class Command(BaseCommand):
    help = (
        "Verify the audit log, sign and export a checkpoint, or archive events "
        "older than the retention period."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)

        verify = subcommands.add_parser(
            "verify", help=_("Check every event and checkpoint; exit 0 only if the log verifies.")
        )
        verify.add_argument(
            "--against",
            type=Path,
            metavar="FILE",
            help=_("Also check the log against this exported checkpoint file."),
        )
        verify.add_argument(
            "--archive-dir",
            type=Path,
            metavar="DIR",
            help=_("Where the archive files are now, if they were moved after archiving."),
        )

        checkpoint = subcommands.add_parser(
            "checkpoint", help=_("Sign a checkpoint of the whole log now and print it.")
        )
        checkpoint.add_argument(
            "--export",
            action="store_true",
            help=_("Also print the checkpoint as a QR code and the public key, to keep offline."),
        )
        checkpoint.add_argument(
            "--png",
            type=Path,
            metavar="FILE",
            help=_("Also write the QR code as a PNG image to FILE."),
        )

        subcommands.add_parser(
            "guards", help=_("Create the database triggers that make the audit tables insert-only.")
        )

        archive_parser = subcommands.add_parser(
            "archive",
            help=_("Move events older than a date into signed archive files (dry run by default)."),
        )
        archive_parser.add_argument(
            "--before",
            type=_date,
            required=True,
            metavar="DATE",
            help=_("Archive the events before this local date (YYYY-MM-DD)."),
        )
        archive_parser.add_argument(
            "--out",
            type=Path,
            required=True,
            metavar="DIR",
            help=_("Directory for the archive files (created with mode 0700)."),
        )
        archive_parser.add_argument(
            "--execute",
            action="store_true",
            help=_("Write the files and remove the archived events from the database."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handlers = {
            "verify": self._verify,
            "checkpoint": self._checkpoint,
            "archive": self._archive,
            "guards": self._guards,
        }
        try:
            handlers[options["subcommand"]](options)
        except ImproperlyConfigured as error:
            raise CommandError(str(error), returncode=EXIT_CANNOT_RUN) from error

    # verify -------------------------------------------------------------------------

    def _verify(self, options: dict[str, Any]) -> None:
        against_note = None
        if options["against"] is not None:
            against_note = self._read_export(options["against"])
        outcome = verify_stored_log(against_note=against_note, archive_dir=options["archive_dir"])
        for trigger in outcome.missing_guards:
            self.stderr.write(
                _(
                    "Warning: the database trigger %(name)s is missing, so the audit tables "
                    "can be changed. Run `shoumi audit guards` to create it again."
                )
                % {"name": trigger}
            )
        if not outcome.is_valid:
            self.stderr.write(self._failure_text(outcome))
            raise CommandError(_("The audit log does not verify."), returncode=EXIT_TAMPERED)
        self.stdout.write(self._success_text(outcome))

    def _read_export(self, path: Path) -> str:
        try:
            return read_checkpoint_export(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, CheckpointFormatError) as error:
            raise CommandError(
                _("Cannot read the exported checkpoint %(path)s: %(error)s")
                % {"path": path, "error": error},
                returncode=EXIT_CANNOT_RUN,
            ) from error

    def _success_text(self, outcome: LogVerification) -> str:
        text = _(
            "Audit log verified: %(events)d events, %(checkpoints)d signed checkpoints, "
            "%(segments)d archive files."
        ) % {
            "events": outcome.tree_size,
            "checkpoints": outcome.checkpoints_verified,
            "segments": outcome.archived_segments,
        }
        uncovered = outcome.tree_size - outcome.covered_size
        if uncovered > 0:
            text += "\n" + _(
                "The newest %(count)d events were checked by hash and leaf tag but are not yet "
                "covered by a signed checkpoint; run `shoumi audit checkpoint` to cover them."
            ) % {"count": uncovered}
        return text

    def _failure_text(self, outcome: LogVerification) -> str:
        if outcome.first_bad_seq is None:
            position = _("The problem is in the checkpoints, not in a particular event.")
        elif outcome.first_bad_seq == outcome.last_bad_seq:
            position = _("First tampered event: sequence number %(seq)d.") % {
                "seq": outcome.first_bad_seq
            }
        else:
            position = _(
                "The first tampered event lies between sequence numbers %(first)d and %(last)d."
            ) % {"first": outcome.first_bad_seq, "last": outcome.last_bad_seq}
        return "\n".join(
            [
                _("Audit log verification FAILED (%(problem)s).") % {"problem": outcome.problem},
                position,
                _("Detail: %(message)s") % {"message": outcome.message},
            ]
        )

    # checkpoint ---------------------------------------------------------------------

    def _checkpoint(self, options: dict[str, Any]) -> None:
        checkpoints.checkpoint_create(reason=CheckpointReason.MANUAL)
        latest = checkpoints.latest_checkpoint()
        if latest is None:
            raise CommandError(
                _("The audit log has no events yet, so there is nothing to sign."),
                returncode=EXIT_CANNOT_RUN,
            )
        self.stdout.write(latest.note, ending="")
        if options["export"]:
            signer = keys.log_signer()
            self.stdout.write("")
            self.stdout.write(checkpoint_qr_text(latest.note))
            self.stdout.write(
                _("Public key for verification: %(key)s")
                % {"key": public_key_text(signer.key_name, signer.public_key())}
            )
            self.stdout.write(
                _(
                    "Keep this checkpoint outside shoumi (print it or email it). "
                    "`shoumi audit verify --against FILE` checks the log against it later."
                )
            )
        if options["png"] is not None:
            options["png"].write_bytes(checkpoint_qr_png(latest.note))
            self.stdout.write(_("QR code written to %(path)s.") % {"path": options["png"]})

    # guards -------------------------------------------------------------------------

    def _guards(self, options: dict[str, Any]) -> None:
        absent = missing_guards(connection)
        create_guards(connection)
        self.stdout.write(
            _("Created %(count)d missing triggers; all audit tables are insert-only again.")
            % {"count": len(absent)}
        )

    # archive ------------------------------------------------------------------------

    def _archive(self, options: dict[str, Any]) -> None:
        out_dir: Path = options["out"]
        try:
            plan = archive.archive_plan(before=options["before"])
            if not plan.segments:
                self.stdout.write(
                    _("No events before %(date)s are in the database.")
                    % {"date": options["before"]}
                )
                return
            summary = _(
                "Events %(first)d to %(last)d (%(count)d events) occurred before %(date)s "
                "and go into %(files)d archive files in %(dir)s."
            ) % {
                "first": plan.first_seq,
                "last": plan.end_seq - 1,
                "count": plan.event_count,
                "date": options["before"],
                "files": len(plan.segments),
                "dir": out_dir,
            }
            if not options["execute"]:
                self.stdout.write(summary)
                self.stdout.write(_("Dry run: nothing was written. Add --execute to archive."))
                return
            self.stdout.write(summary)
            for segment in archive.archive_execute(plan=plan, out_dir=out_dir):
                self.stdout.write(
                    _("Archived events %(first)d to %(last)d into %(path)s (SHA-256 %(digest)s).")
                    % {
                        "first": segment.first_seq,
                        "last": segment.end_seq - 1,
                        "path": segment.path,
                        "digest": segment.sha256,
                    }
                )
        except ArchiveError as error:
            raise CommandError(error.message, returncode=EXIT_CANNOT_RUN) from error
