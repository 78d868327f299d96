"""Helpers the materials views share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse

from shoumi.accounts.http import AuthenticatedRequest
from shoumi.materials.errors import MaterialsError, MaterialsNotFoundError


def found(record: Any) -> Any:
    """Return ``record`` or raise Http404 for None (not visible is reported as not found)."""
    if record is None:
        raise Http404
    return record


def apply_error(form: forms.BaseForm, error: MaterialsError | ValidationError) -> None:
    """Show a domain error on the form field it names, or on the whole form."""
    if isinstance(error, ValidationError):
        form.add_error(None, error)
        return
    if isinstance(error, MaterialsNotFoundError):
        raise Http404 from error
    target = error.field if error.field in form.fields else None
    form.add_error(target, error.message)


def report_error(request: AuthenticatedRequest, error: MaterialsError) -> None:
    if isinstance(error, MaterialsNotFoundError):
        raise Http404 from error
    messages.error(request, error.message)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """Return a PDF download that no browser or proxy caches."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
