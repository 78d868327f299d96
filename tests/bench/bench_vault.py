"""Benchmark the encrypted vault: list page, blind-index search and reveal.

Builds a throwaway SQLite database in a temporary data directory, fills it
with synthetic clients through bulk inserts (sealed exactly as the services
seal them), then measures on this machine:

* the client list page (first page, with the total count) as an
  administrator and as a clerk, with 100,000 clients (target: under 50 ms
  server time), against the same page over an unencrypted table as the
  reference;
* exact search among 1,000,000 blind-index rows (target: under 5 ms),
  against the same lookup on a plaintext indexed column;
* the reveal service: policy, gates, audit event and decryption (target:
  under 1 ms without the network), against a bare AES-GCM decryption.

Run: ``.venv/bin/python -m tests.bench.bench_vault [--clients N] [--people N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable


def _setup_django(data_dir: str) -> None:
    os.environ["SHOUMI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "shoumi.config.settings.local"
    os.environ.setdefault("SHOUMI_LOG_LEVEL", "WARNING")
    key_file = os.path.join(tempfile.mkdtemp(prefix="shoumi-bench-key-"), "master.key")
    from shoumi.crypto import create_key_file

    create_key_file(key_file)
    os.environ["SHOUMI_KEY_FILE"] = key_file
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(function: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _summary(samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * 0.9)]
    return f"median {statistics.median(samples):.3f} ms, p90 {p90:.3f} ms"


def _fill(client_count: int, people_count: int) -> tuple[list[str], str]:
    """Bulk-insert clients and people; return some resident IDs to search and one department."""
    from shoumi.accounts.models import Department
    from shoumi.clients.models import Client, Person
    from shoumi.clients.synthetic import SyntheticData
    from shoumi.vault import services as vault

    synthetic = SyntheticData(seed=7)
    department = Department.objects.create(name="基准部")
    clients = []
    for index in range(client_count):
        clients.append(
            Client(
                name=f"{synthetic.company_name()}{index}",
                uscc=f"BENCH{index:013d}",
                registered_address="",
                department=department if index % 10 == 0 else None,
            )
        )
    Client.objects.bulk_create(clients, batch_size=5000)
    client_ids = list(Client.objects.values_list("pk", flat=True))

    wanted: list[str] = []
    batch: list[Person] = []
    started = time.perf_counter()
    indexer = vault.blind_indexes
    for index in range(people_count):
        resident_id = synthetic.resident_id()
        person = Person(client_id=client_ids[index % len(client_ids)], role="legal_rep")
        if index % 100 == 0:
            vault.seal(record=person, field_name="resident_id", canonical_value=resident_id)
        else:
            # Search reads only the blind index, so most rows skip the
            # encryption to keep the set-up short; one in a hundred is sealed.
            person.resident_id_blind_index = indexer("clients.person", "resident_id", resident_id)[
                0
            ]
            person.resident_id_mask = resident_id[:3] + "*" * 11 + resident_id[-4:]
        batch.append(person)
        if index % (people_count // 20 or 1) == 0:
            wanted.append(resident_id)
        if len(batch) == 5000:
            Person.objects.bulk_create(batch)
            batch = []
    if batch:
        Person.objects.bulk_create(batch)
    elapsed = time.perf_counter() - started
    print(f"  filled {client_count} clients, {people_count} people in {elapsed:.1f} s")
    return wanted, str(department.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shoumi-bench-") as data_dir:
        _setup_django(data_dir)
        machine = platform.processor() or platform.machine()
        print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
        wanted, _department_id = _fill(arguments.clients, arguments.people)
        _bench_search(wanted, arguments.repeat)
        _bench_list(arguments.repeat)
        _bench_reveal(arguments.repeat)


def _bench_search(wanted: list[str], repeat: int) -> None:
    from django.db import connection

    from shoumi.accounts.roles import Role
    from shoumi.clients import selectors
    from shoumi.clients.models import Person
    from shoumi.vault import services as vault
    from tests.accounts.factories import UserFactory

    def search() -> None:
        for resident_id in wanted:
            current, _next = vault.blind_indexes("clients.person", "resident_id", resident_id)
            matches = Person.objects.filter(resident_id_blind_index=current).order_by()
            assert list(matches.values_list("client_id", flat=True)[:1])

    def search_page() -> None:
        for resident_id in wanted:
            result = selectors.client_list(
                user=administrator, filters=selectors.ClientFilters(query=resident_id)
            )
            assert list(result.clients[:50])

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (value TEXT, client TEXT)")
        cursor.execute("CREATE INDEX bench_plain_value ON bench_plain (value)")
        cursor.execute(
            "INSERT INTO bench_plain SELECT resident_id_blind_index, client_id FROM clients_person"
        )

    def plain() -> None:
        with connection.cursor() as cursor:
            for value in indexes:
                cursor.execute("SELECT client FROM bench_plain WHERE value = %s LIMIT 1", [value])
                assert cursor.fetchone()

    indexes = [vault.blind_indexes("clients.person", "resident_id", value)[0] for value in wanted]
    administrator = UserFactory(roles=[Role.ADMINISTRATOR], employee_number="BENCHSEARCH")
    per_lookup = [sample / len(wanted) for sample in _timed(search, repeat)]
    per_page = [sample / len(wanted) for sample in _timed(search_page, repeat)]
    per_plain = [sample / len(wanted) for sample in _timed(plain, repeat)]
    print(
        f"search among {Person.objects.count()} blind-index rows: {_summary(per_lookup)} per lookup"
    )
    print(f"  whole search (parse, index, visible clients, first page): {_summary(per_page)}")
    print(f"  reference, plaintext indexed column via raw SQL: {_summary(per_plain)} per lookup")
    ratio = statistics.median(per_lookup) / statistics.median(per_plain)
    print(f"  ratio lookup/reference: {ratio:.1f}x")


def _bench_list(repeat: int) -> None:
    from django.test import Client as HttpClient
    from django.test.utils import setup_test_environment

    from shoumi.accounts.roles import Role
    from tests.accounts.factories import enrolled_staff

    setup_test_environment()
    for number, role in enumerate((Role.ADMINISTRATOR, Role.CLERK)):
        staff = enrolled_staff(roles=[role], employee_number=f"BENCHLIST{number}")
        browser = HttpClient()
        response = browser.post(
            "/accounts/login/", {"username": staff.user.employee_number, "password": staff.password}
        )
        browser.post("/accounts/login/verify/", {"otp_token": staff.code()})
        assert browser.get("/clients/").status_code == 200
        samples = _timed(lambda browser=browser: browser.get("/clients/"), repeat)
        print(f"client list page as {role}: {_summary(samples)} (includes test-client overhead)")
        del response


def _bench_reveal(repeat: int) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.conf import settings

    from shoumi.access import services
    from shoumi.access.alerts import quiet_limit
    from shoumi.accounts.roles import Role
    from shoumi.clients.models import Person
    from tests.accounts.factories import UserFactory
    from tests.staff.factories import pass_gates

    person = Person.objects.select_related("client").filter(resident_id__isnull=False).first()
    assert person is not None
    # Reviewers who each stay within the alert rules' quiet limit of reveals in the
    # hour, and one who reveals all the time.
    per_reviewer = quiet_limit(settings.ALERT_REVEALS_PER_HOUR)
    reviewers = []
    for number in range(-(-repeat * 10 // per_reviewer)):
        reviewer = pass_gates(
            UserFactory(roles=[Role.REVIEWER], employee_number=f"BENCH-REV-{number}")
        )
        person.client.assigned_staff.add(reviewer)
        reviewers += [reviewer] * per_reviewer
    turns = iter(reviewers)
    samples = _timed(
        lambda: services.reveal(
            user=next(turns), record=person, field="resident_id", purpose="基准测试"
        ),
        repeat * 10,
    )
    heavy = pass_gates(UserFactory(roles=[Role.REVIEWER], employee_number="BENCH-REV-HEAVY"))
    person.client.assigned_staff.add(heavy)
    heavy_samples = _timed(
        lambda: services.reveal(user=heavy, record=person, field="resident_id", purpose="基准测试"),
        repeat * 10,
    )
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    associated = uuid.uuid4().bytes
    sealed = AESGCM(key).encrypt(nonce, b"110105194912310021", associated)
    raw = _timed(lambda: AESGCM(key).decrypt(nonce, sealed, associated), repeat * 10)
    print(
        f"reveal (policy, gates, audit event, decrypt), {per_reviewer} reveals per user: "
        f"{_summary(samples)}"
    )
    print(f"  one user revealing {repeat * 10} times in a row: {_summary(heavy_samples)}")
    print(f"  reference, one bare AES-256-GCM decryption: {_summary(raw)}")


if __name__ == "__main__":
    main()
