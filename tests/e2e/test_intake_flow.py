"""A clerk records an intake with a signature drawn on the canvas and downloads the receipt."""

from __future__ import annotations

import pytest

from shoumi.accounts.roles import Role
from shoumi.materials import services
from shoumi.materials.models import Intake, LocationKind
from tests.accounts.factories import DepartmentFactory, enrolled_staff
from tests.clients.factories import make_client
from tests.materials.pdf_text import page_texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _draw_signature(page) -> None:
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    left, top = box["x"], box["y"]
    page.mouse.move(left + 30, top + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 13):
        x = left + 30 + step * box["width"] / 16
        y = top + box["height"] * (0.7 if step % 2 else 0.25)
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def test_clerk_records_intake_with_drawn_signature(page, live_server) -> None:
    department = DepartmentFactory(name="记账三部")
    clerk = enrolled_staff(roles=[Role.CLERK], department=department)
    archivist = enrolled_staff(roles=[Role.ARCHIVIST], department=department).user
    client = make_client(department=department, name="杭州明远财税咨询有限公司")
    room = services.location_create(
        actor=archivist, kind=LocationKind.ROOM, name="二号档案室", is_archive_room=True
    )
    cabinet = services.location_create(
        actor=archivist, kind=LocationKind.CABINET, name="B02 柜", parent=room
    )

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", clerk.user.employee_number)
    page.fill("#id_password", clerk.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_otp_token")
    page.fill("#id_otp_token", clerk.code())
    page.click("button[type=submit]")
    page.wait_for_selector("#pending-items")

    page.goto(live_server.url + "/materials/intakes/new/")
    page.select_option("#id_client", str(client.pk))
    page.fill("#id_handed_over_by", "赵六")
    page.fill("#id_items-0-name", "营业执照副本复印件")
    page.fill("#id_items-0-quantity", "2")
    page.select_option("#id_items-0-location", str(cabinet.pk))
    _draw_signature(page)
    drawn = page.input_value("#id_signature_drawn")
    assert drawn.startswith("data:image/png;base64,")
    page.click("#intake-submit")
    page.wait_for_selector("#receipt-link")

    intake = Intake.objects.get()
    assert intake.items.get().name == "营业执照副本复印件"
    with page.expect_download() as download_info:
        page.click("#receipt-link")
    download = download_info.value
    pdf = open(download.path(), "rb").read()
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert f"回执编号：{intake.number}" in texts[0]
    assert "杭州明远财税咨询有限公司" in texts[0]
    assert "交件人：赵*" in texts[1]
