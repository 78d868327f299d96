"""Manage the master key: create the key file, show usage, rotate, retire old keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shoumi import crypto
from shoumi.audit import services as audit
from shoumi.audit.actions import Action
from shoumi.vault import rotation
from shoumi.vault.runtime import get_vault, reset_vault


class Command(BaseCommand):
    help = (
        "Manage the master key. `init` creates the key file named by SHOUMI_KEY_FILE if it is "
        "missing; `status` shows which master key wraps how many data keys; `rotate --execute` "
        "adds a new master key and re-wraps every data key under it (resumable; without "
        "--execute it only reports); `retire KEY_ID` removes a master key no data key uses."
    )
    # `init` must run before a key file exists, so the master-key check cannot gate it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the key file if it does not exist")
        sub.add_parser("status", help="show master keys and how many data keys each wraps")
        rotate = sub.add_parser(
            "rotate", help="add a master key and re-wrap all data keys under it"
        )
        rotate.add_argument("--execute", action="store_true", help="do it (default: report only)")
        rotate.add_argument("--batch-size", type=int, default=500, help="data keys per transaction")
        retire = sub.add_parser("retire", help="remove a master key that no data key uses")
        retire.add_argument("key_id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "init":
            self._init()
            return
        self._require_key_file()
        if action == "status":
            self._status()
        elif action == "rotate":
            self._rotate(execute=options["execute"], batch_size=options["batch_size"])
        elif action == "retire":
            self._retire(options["key_id"])

    def _require_key_file(self) -> Path:
        if settings.KEK_PROVIDER != "file" or not settings.KEY_FILE:
            raise CommandError(_("Key commands need SHOUMI_KEK_PROVIDER=file and SHOUMI_KEY_FILE."))
        return Path(settings.KEY_FILE)

    def _init(self) -> None:
        path = self._require_key_file()
        if path.exists():
            crypto.load_key_file(path)
            self.stdout.write(
                _("The key file %(path)s already exists; nothing changed.") % {"path": path}
            )
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_id = crypto.create_key_file(path, suite=settings.CRYPTO_SUITE)
        self.stdout.write(
            _("Created the master key file %(path)s (key %(key_id)s, mode 0600).")
            % {"path": path, "key_id": key_id}
        )
        self.stdout.write(
            _("Keep this file out of backups of the data directory and back it up separately.")
        )

    def _status(self) -> None:
        key_file = crypto.load_key_file(self._require_key_file())
        usage = rotation.master_key_usage()
        for kek in key_file.keys:
            marker = _("current") if kek.key_id == key_file.current_key_id else ""
            self.stdout.write(
                _("%(key_id)s: wraps %(count)d keys %(marker)s")
                % {"key_id": kek.key_id, "count": usage.get(kek.key_id, 0), "marker": marker}
            )
            kek.destroy()
        # Keys wrapped under a master key that left the file cannot be decrypted any more.
        in_file = {kek.key_id for kek in key_file.keys}
        for key_id, count in sorted(usage.items()):
            if key_id not in in_file:
                self.stdout.write(
                    self.style.ERROR(
                        _(
                            "%(key_id)s: wraps %(count)d keys, but the key file no longer "
                            "contains this master key, so they cannot be decrypted. Put the "
                            "key back into the key file from a backup."
                        )
                        % {"key_id": key_id, "count": count}
                    )
                )

    def _rotate(self, *, execute: bool, batch_size: int) -> None:
        path = self._require_key_file()
        key_file = crypto.load_key_file(path)
        usage = rotation.master_key_usage()
        pending = sum(count for key_id, count in usage.items() if key_id != key_file.current_key_id)
        for kek in key_file.keys:
            kek.destroy()
        if not execute:
            self.stdout.write(
                _(
                    "Dry run: %(total)d stored keys, %(pending)d not yet under the current "
                    "master key. Run with --execute to rotate."
                )
                % {"total": sum(usage.values()), "pending": pending}
            )
            return

        new_key_id = None
        if pending == 0:
            new_key_id = crypto.add_key(path, suite=settings.CRYPTO_SUITE)
            self.stdout.write(_("Added master key %(key_id)s.") % {"key_id": new_key_id})
        else:
            self.stdout.write(_("Continuing an interrupted rotation."))
        reset_vault()
        report = rotation.rewrap_all(batch_size=batch_size, progress=self._progress)
        self.stderr.write("")
        audit.append(
            action=Action.KEY_ROTATED,
            object_type="master_key",
            object_id=get_vault().keyring.current_key_id,
            details={"total": report.total, "changed": report.changed},
        )
        self.stdout.write(
            _("Re-wrapped %(changed)d of %(total)d keys under %(key_id)s.")
            % {
                "changed": report.changed,
                "total": report.total,
                "key_id": get_vault().keyring.current_key_id,
            }
        )

    def _retire(self, key_id: str) -> None:
        path = self._require_key_file()
        counted: dict[str, int] = {}

        # NOTE: the count includes committed rows only. A server transaction that
        # wrapped a data key under this master key before it noticed the rotation,
        # and commits after the count, still leaves a record that cannot be
        # decrypted. `keys status` lists such keys. Wraps made after the server
        # noticed the rotation use the new key, so only a transaction that was
        # already open when the rotation began can cause this.
        def count_usage(kek_id: str) -> int:
            # Runs while the key file is locked, so the count is taken at the moment of removal.
            counted[kek_id] = rotation.master_key_usage().get(kek_id, 0)
            return counted[kek_id]

        try:
            crypto.remove_key(path, key_id, count_usage=count_usage)
        except crypto.KeyInUseError as error:
            raise CommandError(
                _(
                    "Master key %(key_id)s still wraps %(count)d keys and was not removed, "
                    "because removing it would make them impossible to decrypt. Run `shoumi "
                    "keys rotate --execute` (it continues where it stopped), then retry."
                )
                % {"key_id": key_id, "count": counted.get(key_id, 0)}
            ) from error
        except crypto.KeyringError as error:
            raise CommandError(str(error)) from error
        reset_vault()
        audit.append(action=Action.KEY_RETIRED, object_type="master_key", object_id=key_id)
        self.stdout.write(_("Removed master key %(key_id)s.") % {"key_id": key_id})

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
