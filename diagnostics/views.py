"""The toolkit in every room (loaded by the room with hx-get; a page of its own without
JavaScript) and the session report with its PDF.

Each toolkit action is a form post: under htmx it answers with the refreshed toolkit body (the
form bound, with its errors, when the input was wrong); without, it redirects back to the page."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from autodoctor.caching import no_store
from autodoctor.errors import DomainError
from sessions_app.models import Session

from . import services
from .forms import ChecklistForm, CodeEditForm, CodeForm, FindingForm
from .models import DiagnosticCode, Finding
from .pdf import report_pdf
from .selectors import DiagnosisView, diagnosis_of, diagnosis_row, report_for, viewable_diagnostic_session

BODY = "diagnostics/toolkit.html#body"


@dataclass(frozen=True)
class CodeRow:
    code: DiagnosticCode
    form: Form
    removable: bool
    open: bool = False


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    form: Form
    open: bool = False


def _session_or_404(request: HttpRequest, session_id: int) -> Session:
    assert isinstance(request.user, User)
    session = viewable_diagnostic_session(user=request.user, session_id=session_id)
    if session is None:
        raise Http404
    return session


def _finding_initial(finding: Finding) -> dict[str, object]:
    def dollars(cents: int | None) -> object:
        return None if cents is None else f"{cents / 100:.2f}"

    return {
        "system": finding.system,
        "severity": finding.severity,
        "observed": finding.observed,
        "recommendation": finding.recommendation,
        "cost_min": dollars(finding.cost_min_cents),
        "cost_max": dollars(finding.cost_max_cents),
    }


def _render_body(
    request: HttpRequest,
    view: DiagnosisView,
    *,
    bound: Form | None = None,
    bound_item: int | None = None,
    error: str = "",
) -> HttpResponse:
    """The toolkit: its lists and the forms `user` may use now (one of them `bound`)."""
    user = request.user
    is_mechanic = view.rights.findings

    def is_bound(kind: type[Form], item: int | None) -> bool:
        return isinstance(bound, kind) and bound_item == item

    codes = [
        CodeRow(
            code=code,
            form=bound
            if bound is not None and is_bound(CodeEditForm, code.pk)
            else CodeEditForm(prefix=f"c{code.pk}", initial={"status": code.status, "notes": code.notes}),
            removable=view.rights.findings or (view.rights.codes and code.added_by_id == user.pk),
            open=is_bound(CodeEditForm, code.pk),
        )
        for code in view.codes
    ]
    findings = [
        FindingRow(
            finding=finding,
            form=bound
            if bound is not None and is_bound(FindingForm, finding.pk)
            else FindingForm(prefix=f"f{finding.pk}", initial=_finding_initial(finding)),
            open=is_bound(FindingForm, finding.pk),
        )
        for finding in view.findings
    ]
    fresh = bound is None or bound_item is not None
    context = {
        "session": view.session,
        "view": view,
        "codes": codes,
        "findings": findings,
        "code_form": bound if not fresh and isinstance(bound, CodeForm) else CodeForm(),
        "finding_form": bound if not fresh and isinstance(bound, FindingForm) else FindingForm(),
        "checklist_form": bound
        if not fresh and isinstance(bound, ChecklistForm)
        else ChecklistForm(initial={"systems": view.systems_checked}),
        "is_mechanic": is_mechanic,
        "error": error,
    }
    template = BODY if getattr(request, "htmx", False) else "diagnostics/toolkit.html"
    return render(request, template, context)


@require_GET
@login_required
@no_store
def toolkit(request: HttpRequest, session_id: int) -> HttpResponse:
    """The toolkit body (htmx) or page. `?v=` names the version the browser shows: the same
    version answers 204 (a session-changed hint about something else: nothing to redraw)."""
    session = _session_or_404(request, session_id)
    assert isinstance(request.user, User)
    row = diagnosis_row(session=session)
    if getattr(request, "htmx", False) and request.GET.get("v") == str(row.version if row else 0):
        return HttpResponse(status=204)
    return _render_body(request, diagnosis_of(session=session, user=request.user, row=row))


def _act(
    request: HttpRequest,
    session_id: int,
    form: Form,
    action: Callable[[Session, User, Form], object],
    *,
    item: int | None = None,
    done: str,
) -> HttpResponse:
    """Validate `form`, run `action` (a service call), answer with the toolkit or a redirect."""
    session = _session_or_404(request, session_id)
    assert isinstance(request.user, User)
    user = request.user
    error = ""
    if form.is_valid():
        try:
            action(session, user, form)
        except DomainError as exc:
            if exc.context.get("field") in form.fields:
                form.add_error(exc.context["field"], exc.detail)
            else:
                error = exc.detail
        else:
            if not getattr(request, "htmx", False):
                messages.success(request, done)
                return redirect(reverse("diagnostics_toolkit", args=[session_id]))
            # Done: the toolkit shows fresh forms. (htmx swaps only 2xx answers by default, so an
            # error travels in a 200 with its form bound.)
            return _render_body(request, diagnosis_of(session=session, user=user))
    if not getattr(request, "htmx", False):
        messages.error(request, error or f"Check the form: {_first_error(form)}")
        return redirect(reverse("diagnostics_toolkit", args=[session_id]))
    return _render_body(
        request, diagnosis_of(session=session, user=user), bound=form, bound_item=item, error=error
    )


def _first_error(form: Form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "check what you entered."


@require_POST
@login_required
def code_add(request: HttpRequest, session_id: int) -> HttpResponse:
    def add(session: Session, user: User, form: Form) -> object:
        data = form.cleaned_data
        return services.code_add(
            session=session, user=user, code=data["code"], status=data["status"], notes=data["notes"]
        )

    return _act(request, session_id, CodeForm(request.POST), add, done="Code added.")


@require_POST
@login_required
def code_update(request: HttpRequest, session_id: int, code_id: int) -> HttpResponse:
    def update(session: Session, user: User, form: Form) -> object:
        data = form.cleaned_data
        return services.code_update(
            session=session, user=user, code_id=code_id, status=data["status"], notes=data["notes"]
        )

    form = CodeEditForm(request.POST, prefix=f"c{code_id}")
    return _act(request, session_id, form, update, item=code_id, done="Code updated.")


@require_POST
@login_required
def code_remove(request: HttpRequest, session_id: int, code_id: int) -> HttpResponse:
    def remove(session: Session, user: User, form: Form) -> object:
        services.code_remove(session=session, user=user, code_id=code_id)
        return None

    return _act(request, session_id, Form(request.POST), remove, done="Code removed.")


@require_POST
@login_required
def finding_add(request: HttpRequest, session_id: int) -> HttpResponse:
    def add(session: Session, user: User, form: Form) -> object:
        assert isinstance(form, FindingForm)
        return services.finding_add(session=session, user=user, data=form.finding_data())

    return _act(request, session_id, FindingForm(request.POST), add, done="Finding added.")


@require_POST
@login_required
def finding_update(request: HttpRequest, session_id: int, finding_id: int) -> HttpResponse:
    def update(session: Session, user: User, form: Form) -> object:
        assert isinstance(form, FindingForm)
        return services.finding_update(
            session=session, user=user, finding_id=finding_id, data=form.finding_data()
        )

    form = FindingForm(request.POST, prefix=f"f{finding_id}")
    return _act(request, session_id, form, update, item=finding_id, done="Finding updated.")


@require_POST
@login_required
def finding_remove(request: HttpRequest, session_id: int, finding_id: int) -> HttpResponse:
    def remove(session: Session, user: User, form: Form) -> object:
        services.finding_remove(session=session, user=user, finding_id=finding_id)
        return None

    return _act(request, session_id, Form(request.POST), remove, done="Finding removed.")


@require_POST
@login_required
def checklist_set(request: HttpRequest, session_id: int) -> HttpResponse:
    def save(session: Session, user: User, form: Form) -> object:
        return services.checklist_set(session=session, user=user, systems=form.cleaned_data["systems"])

    return _act(request, session_id, ChecklistForm(request.POST), save, done="Checklist saved.")


@require_GET
@login_required
def report(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's record, printable: for its customer, its mechanic and staff (404 else)."""
    session = _session_or_404(request, session_id)
    assert isinstance(request.user, User)
    return render(
        request, "mechanics/report.html", {"report": report_for(session=session, user=request.user)}
    )


@require_GET
@login_required
def report_download(request: HttpRequest, session_id: int) -> HttpResponse:
    """The same report as a PDF (WeasyPrint, from the same template)."""
    session = _session_or_404(request, session_id)
    assert isinstance(request.user, User)
    pdf = report_pdf(report_for(session=session, user=request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="autodoctor-report-{session.pk}.pdf"'
    return response
