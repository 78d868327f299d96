"""The reveal endpoint: asks for a purpose, then shows the value once."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from shoumi.access import services
from shoumi.access.errors import PurposeInvalidError, RevealDeniedError, RevealFailedError
from shoumi.accounts.http import AuthenticatedRequest
from shoumi.clients import selectors as client_selectors
from shoumi.clients.forms import RevealForm
from shoumi.vault.fields import SealedField

# How long a revealed value stays on screen before the page hides it again.
REVEAL_SECONDS = 30


@require_http_methods(["GET", "POST"])
def reveal_view(
    request: AuthenticatedRequest, model_name: str, record_id: Any, field: str
) -> HttpResponse:
    record = client_selectors.record_get(
        user=request.user, model_name=model_name, record_id=record_id
    )
    if record is None:
        raise Http404
    model_field = next((f for f in record._meta.get_fields() if f.name == field), None)  # type: ignore[attr-defined]
    if not isinstance(model_field, SealedField):
        raise Http404
    masked = str(getattr(record, field))
    context: dict[str, Any] = {
        "model_name": model_name,
        "record_id": record.pk,  # type: ignore[attr-defined]
        "field": field,
        "masked": masked,
    }

    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plaintext = services.reveal(
                user=request.user,
                record=record,  # type: ignore[arg-type]
                field=field,
                purpose=form.cleaned_data["purpose"],
                request=request,
            )
        except (RevealDeniedError, PurposeInvalidError, RevealFailedError) as error:
            context["error"] = error.message
        else:
            context.update({"plaintext": plaintext or "", "seconds": REVEAL_SECONDS})
            response = render(request, "access/partials/revealed.html", context)
            response["Cache-Control"] = "no-store"
            return response
    context["form"] = form
    response = render(request, "access/partials/reveal_form.html", context)
    response["Cache-Control"] = "no-store"
    return response
