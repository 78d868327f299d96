"""The receipt, lending register and destruction record render Chinese text and their fields."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from shoumi.audit.actions import Action
from shoumi.audit.models import AuditEvent
from shoumi.documents.imaging import fonts
from shoumi.documents.imaging.errors import FontConfigurationError as ImagingFontError
from shoumi.materials import services
from shoumi.materials.errors import FontConfigurationError, MaterialsNotFoundError
from shoumi.materials.models import DestructionRecord
from shoumi.materials.pdf.layout import REQUIRED_TEXT, PdfDocument
from shoumi.materials.retention import RetentionPeriod
from shoumi.materials.services.common import today
from tests.accounts.factories import UserFactory
from tests.materials.factories import Office, item_line, make_intake
from tests.materials.pdf_text import page_texts, render_pages

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese(settings) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    settings.BASE_URL = "https://shoumi.example.test"


def _ink_fraction(png: bytes) -> float:
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        return dark / (grey.width * grey.height)


def test_receipt_has_both_copies_and_all_fields(office: Office) -> None:
    intake = make_intake(
        office,
        item_line(name="营业执照副本复印件", quantity=2, location=office.cabinet),
        item_line(
            name="记账凭证",
            quantity=12,
            kind="original",
            retention_period=RetentionPeriod.YEARS_30,
            fiscal_year=2024,
            location=office.cabinet,
        ),
    )

    pdf = services.intake_receipt_pdf(actor=office.clerk, intake=intake)

    texts = page_texts(pdf)
    assert len(texts) == 2
    assert "（客户联）" in texts[0]
    assert "（存档联）" in texts[1]
    for text in texts:
        assert "材料接收回执" in text
        assert f"回执编号：{intake.number}" in text
        assert f"客户：{office.client.name}" in text
        assert f"接收人：{office.clerk.full_name}（{office.clerk.employee_number}）" in text
        assert "交件人：王*" in text
        assert "营业执照副本复印件" in text
        assert "记账凭证" in text
        assert "30年" in text
        assert "客户签字：" in text
    pages = render_pages(pdf)
    assert len(pages) == 2
    for png in pages:
        assert 0.01 < _ink_fraction(png) < 0.5
    assert AuditEvent.objects.filter(
        action=Action.MATERIAL_RECEIPT_PRINTED, object_id=str(intake.pk)
    ).exists()


def test_receipt_never_shows_the_full_name(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet), handed_over_by="欧阳明月")

    texts = page_texts(services.intake_receipt_pdf(actor=office.clerk, intake=intake))

    assert "欧阳明月" not in "".join(texts)
    assert "交件人：欧阳**" in texts[0]


def test_receipt_qr_codes_lead_to_the_record(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))

    pages = render_pages(services.intake_receipt_pdf(actor=office.clerk, intake=intake), scale=3)

    expected = f"https://shoumi.example.test/materials/intakes/{intake.pk}/"
    for png in pages:
        with Image.open(io.BytesIO(png)) as image:
            # QR codes only, as a page may also read as some other symbology by chance.
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            decoded = [barcode.text for barcode in found]
        assert decoded == [expected]


def test_receipt_of_hidden_client_not_found(office: Office) -> None:
    intake = make_intake(office, item_line(location=office.cabinet))
    outsider = UserFactory(roles=["clerk"])

    with pytest.raises(MaterialsNotFoundError):
        services.intake_receipt_pdf(actor=outsider, intake=intake)

    assert not AuditEvent.objects.filter(action=Action.MATERIAL_RECEIPT_PRINTED).exists()


def test_destruction_record_lists_names_method_time_and_items(office: Office) -> None:
    intake = make_intake(
        office,
        item_line(name="身份证复印件", quantity=3, location=office.cabinet),
        item_line(name="纳税申报表草稿", kind="draft", quantity=1, location=office.cabinet),
    )
    items = list(intake.items.all())
    destruction_list = services.destruction_list_create(
        actor=office.archivist, supervisor=office.manager, method="shredder", items=items
    )
    services.destruction_confirm(actor=office.archivist, destruction_list=destruction_list)
    services.destruction_confirm(actor=office.manager, destruction_list=destruction_list)
    record = DestructionRecord.objects.get()

    pdf = services.destruction_record_pdf(actor=office.manager, record=record)

    [text] = page_texts(pdf)
    destroyed_at = record.destroyed_at.astimezone().strftime("%Y-%m-%d")
    assert "销毁记录表" in text
    assert f"记录编号：{record.number}" in text
    assert "销毁方式：碎纸机粉碎" in text
    assert f"销毁时间：{destroyed_at}" in text
    assert f"操作人：{office.archivist.full_name}" in text
    assert f"监销人：{office.manager.full_name}" in text
    assert "身份证复印件" in text
    assert "纳税申报表草稿" in text
    assert intake.number in text
    assert "本记录永久保存。" in text
    [png] = render_pages(pdf)
    assert 0.005 < _ink_fraction(png) < 0.5


def test_lending_register_lists_loans(office: Office) -> None:
    item = make_intake(
        office, item_line(name="银行开户许可证复印件", location=office.cabinet)
    ).items.get()
    loan = services.loan_request(
        actor=office.clerk, item=item, purpose="办理银行变更", due_on=today() + timedelta(days=5)
    )
    loan = services.loan_approve(actor=office.manager, loan=loan)

    pdf = services.lending_register_pdf(actor=office.archivist, loans=[loan])

    [text] = page_texts(pdf)
    assert "借阅登记簿" in text
    assert "银行开户许可证复印件" in text
    assert "办理银行变更" in text
    assert office.clerk.full_name in text
    assert "已批准，待借出" in text
    assert office.manager.full_name in text


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(fonts.FONT_ENVIRONMENT_VARIABLE, str(tmp_path / "none.ttf"))

    with pytest.raises(ImagingFontError) as raised:
        PdfDocument(title="销毁记录表")

    assert "fonts-noto-cjk" in raised.value.message
    assert "SHOUMI_CJK_FONT" in raised.value.message


def test_glyph_missing_from_the_font_is_an_error() -> None:
    font = fonts.find_cjk_font()
    thin = fonts.CJKFont(
        font.path, font.face_index, font.family, frozenset(map(ord, REQUIRED_TEXT))
    )
    document = PdfDocument(title="回执", font=thin)

    with pytest.raises(FontConfigurationError) as raised:
        document.check("客户：张三")

    assert "has no glyph for 2 character(s)" in raised.value.message
    assert "张三" not in raised.value.message
    assert "fonts-noto-cjk" in raised.value.message


def test_found_font_draws_the_pdf_wording() -> None:
    font = fonts.find_cjk_font()

    assert not font.missing_characters(REQUIRED_TEXT)
    if "Noto Sans CJK" in font.family:
        assert font.family.endswith("SC")


def test_start_up_check_warns_without_a_font(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from shoumi.materials.checks import cjk_font_check

    monkeypatch.setenv(fonts.FONT_ENVIRONMENT_VARIABLE, str(tmp_path / "missing.ttc"))

    [warning] = cjk_font_check()

    assert warning.id == "materials.W001"
    assert "fonts-noto-cjk" in warning.hint


def test_start_up_check_passes_with_the_system_font() -> None:
    from shoumi.materials.checks import cjk_font_check

    assert cjk_font_check() == []
