"""Legacy plaintext rows and master-key rotation (case L3)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from shoumi import crypto
from shoumi.access import services as access
from shoumi.accounts.roles import Role
from shoumi.clients import selectors
from shoumi.clients.models import Person
from shoumi.crypto.formats import SHREDDED_MARKER
from shoumi.vault import rotation, runtime
from shoumi.vault import services as vault
from shoumi.vault.runtime import get_vault, reset_vault
from tests.accounts.factories import UserFactory
from tests.clients.factories import make_client, make_person
from tests.staff.factories import pass_gates

pytestmark = pytest.mark.django_db

ID_B, ID_C = "320106197809230418", "110101190001010014"


@pytest.fixture
def key_file(tmp_path, settings):
    path = tmp_path / "master.key"
    crypto.create_key_file(path)
    settings.KEY_FILE = str(path)
    reset_vault()
    yield path
    # The next test must not inherit a vault loaded from this test's key file.
    reset_vault()


def _legacy_row(client, plaintext: str) -> Person:
    """Write a person the way shoumi did before encryption was switched on."""
    person = make_person(client, resident_id=plaintext)
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET resident_id = %s, resident_id_blind_index = '', "  # noqa: S608
            "resident_id_mask = '' WHERE id = %s",
            [plaintext, person.pk.hex if connection.vendor == "sqlite" else person.pk],
        )
    return person


def test_legacy_rows_and_rotation(key_file) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER]))
    client = make_client(staff=[reviewer])
    row_a = _legacy_row(client, "11010519491231002X")
    row_b = make_person(client, resident_id=ID_B)
    k1 = get_vault().keyring.current_key_id
    k2 = crypto.add_key(key_file)
    reset_vault()
    row_c = make_person(client, resident_id=ID_C)

    first = rotation.seal_plaintext_rows()
    second = rotation.seal_plaintext_rows()
    usage_before = rotation.master_key_usage()
    report = rotation.rewrap_all()
    usage_after = rotation.master_key_usage()

    assert (first, second) == (1, 0)
    assert crypto.is_sealed(
        Person.objects.filter(pk=row_a.pk).values_list("resident_id", flat=True).get()
    )
    # B was wrapped under K1, C under K2; only B's key (and the index key) change.
    assert usage_before[k1] >= 1
    assert report.changed == usage_before[k1]
    assert usage_after[k1] == 0
    assert usage_after[k2] == report.total
    for person, expected in ((row_a, "11010519491231002X"), (row_b, ID_B), (row_c, ID_C)):
        fresh = Person.objects.get(pk=person.pk)
        assert (
            access.reveal(user=reviewer, record=fresh, field="resident_id", purpose="核对")
            == expected
        )
        found = selectors.client_list(
            user=reviewer, filters=selectors.ClientFilters(query=expected)
        ).clients
        assert list(found) == [client]


def test_removing_a_key_in_use_is_refused_with_its_id(key_file) -> None:
    make_person(make_client())
    old = get_vault().keyring.current_key_id
    crypto.add_key(key_file)
    reset_vault()

    with pytest.raises(CommandError, match=old):
        call_command("keys", "retire", old)

    call_command("keys", "rotate", "--execute")
    call_command("keys", "retire", old)
    assert old not in crypto.load_key_file(key_file).current_key_id
    assert old not in [key.key_id for key in crypto.load_key_file(key_file).keys]


@pytest.fixture
def other_process():
    """Run a `keys` command with its own vault, as a second process on the same key file would.

    The vault this test loaded stays untouched, like that of a server that keeps running.
    """

    def run(*arguments: str) -> None:
        # Plain assignments, not monkeypatch: its undo at teardown would bring back the
        # server's vault after key_file has destroyed its keys, for the next test to use.
        server_vault = runtime._vault
        runtime._vault = None
        try:
            call_command("keys", *arguments)
        finally:
            runtime.reset_vault()
            runtime._vault = server_vault

    return run


def test_running_server_follows_rotation(key_file, other_process) -> None:
    reviewer = pass_gates(UserFactory(roles=[Role.REVIEWER]))
    client = make_client(staff=[reviewer])
    before = make_person(client, resident_id=ID_B)
    old = get_vault().keyring.current_key_id

    other_process("rotate", "--execute")
    new = crypto.load_key_file(key_file).current_key_id
    after = make_person(client, resident_id=ID_C)
    other_process("retire", old)

    assert new != old
    assert crypto.WrappedKey.parse(after.data_key).kek_id == new
    assert set(rotation.master_key_usage()) == {new}
    for person, expected in ((before, ID_B), (after, ID_C)):
        fresh = Person.objects.get(pk=person.pk)
        assert (
            access.reveal(user=reviewer, record=fresh, field="resident_id", purpose="核对")
            == expected
        )


def test_retire_refuses_key_still_in_use(key_file, other_process) -> None:
    person = make_person(make_client())
    old_key_file = crypto.load_key_file(key_file)
    old = old_key_file.current_key_id
    other_process("rotate", "--execute")
    # A writer that wrapped its data key just before it saw the new master key.
    stale = crypto.Keyring(old_key_file.keys, current=old)
    _, wrapped = stale.new_data_key(crypto.RecordContext("clients.person", str(person.pk)))
    Person.objects.filter(pk=person.pk).update(data_key=wrapped.to_text())

    with pytest.raises(CommandError, match=f"主密钥 {old} 仍封装着 1 个密钥"):
        other_process("retire", old)

    assert old in [key.key_id for key in crypto.load_key_file(key_file).keys]


def test_status_reports_keys_wrapped_under_missing_master_key(key_file, capsys) -> None:
    make_person(make_client())
    old = get_vault().keyring.current_key_id
    crypto.add_key(key_file)
    crypto.remove_key(key_file, old, count_usage=lambda _: 0)

    call_command("keys", "status")

    output = capsys.readouterr().out
    assert f"{old}：封装 " in output
    assert "无法解密" in output


def test_shredded_keys_do_not_block_rotation(key_file) -> None:
    person = make_person(make_client())
    vault.shred(record=person)
    person.save()
    old = get_vault().keyring.current_key_id

    call_command("keys", "rotate", "--execute")

    assert crypto.load_key_file(key_file).current_key_id != old
    assert SHREDDED_MARKER not in rotation.master_key_usage()


def test_rotate_is_a_dry_run_without_execute(key_file, capsys) -> None:
    make_person(make_client())

    call_command("keys", "rotate")

    assert "--execute" in capsys.readouterr().out
    assert len(crypto.load_key_file(key_file).keys) == 1


def test_interrupted_rotation_continues(key_file, monkeypatch) -> None:
    for _ in range(3):
        make_person(make_client())
    crypto.add_key(key_file)
    reset_vault()
    original = crypto.Keyring.rewrap_data_key
    calls = {"count": 0}

    def flaky(self, wrapped, record):
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("power cut")
        return original(self, wrapped, record)

    monkeypatch.setattr(crypto.Keyring, "rewrap_data_key", flaky)
    with pytest.raises(RuntimeError):
        rotation.rewrap_all(batch_size=1)
    monkeypatch.setattr(crypto.Keyring, "rewrap_data_key", original)
    report = rotation.rewrap_all(batch_size=1)

    current = get_vault().keyring.current_key_id
    assert set(rotation.master_key_usage()) == {current}
    assert report.changed == 2


def test_keys_init_creates_private_file(tmp_path, settings) -> None:
    path = tmp_path / "keys" / "master.key"
    settings.KEY_FILE = str(path)

    call_command("keys", "init")
    call_command("keys", "init")

    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(crypto.load_key_file(path).keys) == 1


def test_missing_key_file_stops_start_up(tmp_path, settings) -> None:
    from shoumi.vault.checks import check_master_key

    settings.KEY_FILE = str(tmp_path / "absent.key")

    messages = check_master_key()

    assert [message.id for message in messages] == ["vault.E001"]


def test_readable_key_file_stops_start_up(key_file) -> None:
    from shoumi.vault.checks import check_master_key

    key_file.chmod(0o644)

    assert [message.id for message in check_master_key()] == ["vault.E001"]


def test_check_deploy_warns_about_key_inside_data_dir(settings) -> None:
    from shoumi.vault.checks import check_key_file_location

    inside = settings.DATA_DIR / "master.key"
    crypto.create_key_file(inside)
    settings.KEY_FILE = str(inside)

    assert [message.id for message in check_key_file_location()] == ["vault.W001"]


def test_rotation_and_retire_cover_scans_kept_in_files(key_file, other_process) -> None:
    """A document keeps its scan in a file but its data key in the row, like a person."""
    from shoumi.documents.services.common import open_scan
    from tests.documents.helpers import scan_png, upload

    clerk = pass_gates(UserFactory(roles=[Role.CLERK]))
    client = make_client()
    client.assigned_staff.add(clerk)
    content = scan_png()
    document = upload(client, clerk, content)
    old = get_vault().keyring.current_key_id
    crypto.add_key(key_file)

    with pytest.raises(CommandError, match=old):
        other_process("retire", old)
    other_process("rotate", "--execute")
    other_process("retire", old)

    document.refresh_from_db()
    assert crypto.WrappedKey.parse(document.data_key).kek_id != old
    assert open_scan(document)[:8] == b"\x89PNG\r\n\x1a\n"
