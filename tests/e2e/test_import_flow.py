"""A reviewer imports a sample ledger in Chromium, finds a client by ID number, reveals it."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from shoumi.accounts.roles import Role
from shoumi.clients.demo import demo_rows, write_demo_ledger
from shoumi.clients.synthetic import SyntheticData
from tests.accounts.factories import enrolled_staff
from tests.staff.factories import pass_gates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sample_ledger(path: Path) -> str:
    """Write the demo's messy sample ledger plus one known row; return that row's ID number."""
    synthetic = SyntheticData(seed=20261205)
    data = write_demo_ledger(demo_rows(30, synthetic), synthetic)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    known = demo_rows(1, synthetic)[0]
    workbook.active.append(
        [
            31,
            known.name,
            known.uscc,
            known.address,
            "存续",
            known.legal_rep,
            known.resident_id,
            known.mobile,
            known.bank,
            known.account,
            "",
        ]
    )
    workbook.save(path)
    return known.resident_id


def test_reviewer_imports_searches_and_reveals(page, live_server, settings, tmp_path) -> None:
    # The upload page runs the import in the background thread, as in production.
    settings.TASKS_RUN_INLINE = False
    # Importing needs the clerk's right to edit sensitive fields, revealing the reviewer's.
    reviewer = enrolled_staff(roles=[Role.CLERK, Role.REVIEWER])
    pass_gates(reviewer.user)
    ledger_path = tmp_path / "客户台账.xlsx"
    resident_id = _sample_ledger(ledger_path)

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", reviewer.user.employee_number)
    page.fill("#id_password", reviewer.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", reviewer.code())
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")

    page.goto(live_server.url + "/clients/")
    page.click("#import-link")
    page.set_input_files("#id_ledger", str(ledger_path))
    page.check("#id_is_only_valid")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-job[data-status=succeeded]", timeout=180_000)
    assert "已导入" in page.inner_text("#import-status")
    assert page.locator("#problem-rows").count() == 1

    page.goto(live_server.url + "/clients/")
    spaced = f"{resident_id[:6]} {resident_id[6:14]} {resident_id[14:].lower()}"
    page.fill("#id_q", spaced)
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#search-note")
    rows = page.locator("#client-rows tbody tr")
    assert rows.count() == 1
    rows.locator("a").click()

    reveal = "#people .sealed[id$='-resident_id'] .reveal-button"
    page.click(reveal)
    page.fill("input[name=purpose]", "核对导入的台账")
    page.click(".reveal-form button[type=submit]")
    page.wait_for_selector("code.revealed")
    assert page.inner_text("code.revealed") == resident_id
