"""The upload page, the import job page, report downloads and who may use them."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from shoumi.accounts.roles import Role
from shoumi.clients.models import Client, ImportJob, ImportJobStatus
from tests.accounts.conftest import log_in
from tests.accounts.factories import enrolled_staff
from tests.clients.imports.ledgers import csv_bytes

pytestmark = pytest.mark.django_db

ROW = [
    "甲公司",
    "91310115MA1K2R0080",
    "王小明",
    "33010619880315019X",
    "13800138000",
    "中国银行",
    "6217001234567890123",
]


@pytest.fixture
def clerk_http():
    staff = enrolled_staff(roles=[Role.CLERK])
    http = HttpClient()
    log_in(http, staff)
    return http, staff


def _upload(http, data: bytes, name: str = "ledger.csv", **fields):
    return http.post("/clients/import/", {"ledger": SimpleUploadedFile(name, data), **fields})


def test_client_list_links_to_the_upload_page(clerk_http) -> None:
    http, _staff = clerk_http

    page = http.get("/clients/").content.decode()

    assert 'href="/clients/import/"' in page
    assert "导入台账" in page


def test_upload_runs_the_import_and_shows_the_result(clerk_http) -> None:
    http, staff = clerk_http

    response = _upload(http, csv_bytes([ROW]))

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/clients/import/{job.pk}/"
    assert job.status == ImportJobStatus.SUCCEEDED
    assert job.created_by == staff.user
    assert job.pending_warnings == 1
    client = Client.objects.get()
    assert client.department == staff.user.department
    assert list(client.assigned_staff.all()) == [staff.user]
    page = http.get(response["Location"]).content.decode()
    assert "已导入" in page
    assert "未通过 Luhn 校验：请向客户核实" in page
    assert "hx-trigger" not in page


def test_rejected_upload_imports_nothing(clerk_http) -> None:
    http, _staff = clerk_http
    bad = ["乙公司", "", "李四", "330106198803150191", "", "", ""]

    _upload(http, csv_bytes([ROW, bad]))

    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REJECTED
    assert job.rejected_rows == 1
    assert Client.objects.count() == 0


def test_only_valid_upload_imports_the_valid_rows(clerk_http) -> None:
    http, _staff = clerk_http
    bad = ["乙公司", "", "李四", "330106198803150191", "", "", ""]

    _upload(http, csv_bytes([ROW, bad]), is_only_valid="on")

    assert ImportJob.objects.get().status == ImportJobStatus.SUCCEEDED
    assert Client.objects.count() == 1


def test_running_job_polls_every_second(clerk_http) -> None:
    http, staff = clerk_http
    job = ImportJob.objects.create(
        created_by=staff.user, status=ImportJobStatus.RUNNING, created_at="2026-12-04T10:00Z"
    )

    partial = http.get(f"/clients/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 1s"' in partial
    assert "<html" not in partial


def test_reports_download_as_text_cells(clerk_http) -> None:
    http, _staff = clerk_http
    _upload(http, csv_bytes([ROW]))
    job = ImportJob.objects.get()

    csv_response = http.get(f"/clients/import/{job.pk}/report.csv")
    xlsx_response = http.get(f"/clients/import/{job.pk}/report.xlsx")

    text = csv_response.content.decode("utf-8-sig")
    assert csv_response["Cache-Control"] == "no-store"
    assert "330***********019X" in text
    assert "33010619880315019X" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert ["文件编码", "UTF-8"] in rows
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_response.content))
    cells = [cell for row in workbook.active.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type == "s" for cell in cells)
    assert "621700*********0123" in [cell.value for cell in cells]


def test_another_users_job_is_not_found(clerk_http) -> None:
    http, _staff = clerk_http
    other = enrolled_staff(roles=[Role.REVIEWER])
    job = ImportJob.objects.create(created_by=other.user, created_at="2026-12-04T10:00Z")

    assert http.get(f"/clients/import/{job.pk}/").status_code == 404
    assert http.get(f"/clients/import/{job.pk}/report.csv").status_code == 404


@pytest.mark.parametrize("role", [Role.ARCHIVIST, Role.REVIEWER])
def test_role_without_edit_rights_cannot_open_upload_page(role: str) -> None:
    staff = enrolled_staff(roles=[role])
    http = HttpClient()
    log_in(http, staff)

    assert http.get("/clients/import/").status_code == 403


def test_upload_without_csrf_token_is_refused(clerk_http) -> None:
    logged_in, _staff = clerk_http
    http = HttpClient(enforce_csrf_checks=True)
    http.cookies = logged_in.cookies

    response = _upload(http, csv_bytes([ROW]))

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_oversized_upload_is_refused(clerk_http, settings) -> None:
    http, _staff = clerk_http
    settings.IMPORT_MAX_FILE_MB = 1

    response = _upload(http, b"x" * (2 * 1024 * 1024))

    assert response.status_code == 200
    assert "文件超过 1 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_wrong_extension_is_refused(clerk_http) -> None:
    http, _staff = clerk_http

    response = _upload(http, b"%PDF", name="ledger.pdf")

    assert "只能导入" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_large_upload_never_touches_disk(clerk_http, monkeypatch) -> None:
    from django.core.files import uploadhandler

    def refuse_temporary_file(*args, **kwargs):
        raise AssertionError("the upload went to a temporary file")

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", refuse_temporary_file)
    http, _staff = clerk_http
    # About 3 MB, above Django's 2.5 MB threshold for writing uploads to a temporary file.
    remark = "老客户" * 1000
    data = csv_bytes([["甲公司", remark]] * 1000, headers=("企业名称", "备注"))
    assert len(data) > 3 * 1024 * 1024

    response = _upload(http, data)

    assert response.status_code == 302
    assert ImportJob.objects.get().status == ImportJobStatus.SUCCEEDED
