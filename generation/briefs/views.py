"""Pages of the analyst's workflow: home, the brief form, the brief page and its actions.

Every brief page goes through `brief_view`: sign-in first, then the brief must be one the user
may see (else 404, so nobody learns which briefs exist), and every POST needs the right to
change it (else 403). Views only read forms and call services; the reads live in
generation.briefs.selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from campaigns.selectors import catalog_summary
from creatives.serving import stored_file_response
from generation.backends.availability import image_generation
from generation.backends.prompt.rules import CLIP_WINDOW, clip_window_tokens
from generation.briefs import page_cache, services
from generation.briefs import selectors as page_selectors
from generation.briefs.forms import (
    BoardPinForm,
    BriefForm,
    GenerateForm,
    PickForm,
    PromptForm,
    ReferenceActionForm,
    ShareForm,
)
from generation.briefs.permissions import briefs_visible_to, can_change
from generation.guardrails.messages import removal_message
from generation.models import Brief, GeneratedImage, ModelJob, PromptVersion
from generation.sharing import links as sharing
from generation.sharing import selectors as share_selectors
from library.models import Board
from yenni_site.language import page_language
from yenni_site.roles import briefs_required, is_lead, uses_briefs

HOME_PAGE_SIZE = 20

# What an analyst reads when this installation makes no images; the operator's instructions
# go to staff and docs/models.md.
GENERATION_OFF = gettext_lazy(
    "Image generation is not active in this installation; ask your administrator to turn it "
    "on. Meanwhile you can copy the prompt into any image tool."
)
ASK_FOR_THE_MODEL = gettext_lazy("Ask your administrator to set up the model.")

BriefView = Callable[..., HttpResponse]


def _refuse(request: HttpRequest, reason: str) -> HttpResponse:
    """A polite 403 page that says why, instead of the bare "Forbidden"."""
    return render(request, "generation/no_access.html", {"reason": reason}, status=403)


def brief_view(view: BriefView) -> BriefView:
    """Load the brief the user may see (404 otherwise); a POST also needs the right to change it."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        brief = get_object_or_404(briefs_visible_to(request.user), pk=pk)
        if request.method == "POST" and not can_change(request.user, brief):
            return _refuse(request, "not_owner")
        return view(request, brief, *args, **kwargs)

    return briefs_required(wrapped)


def _back_to(brief: Brief, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("brief_detail", args=[brief.pk])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


# --- home and the new brief ----------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's briefs (every brief for a lead) above the ad history Yenni draws on.

    A user in neither team group sees only the no-access note: the ad history's counts are the
    team's figures, as closed to them as the library is.
    """
    context: dict = {"uses_briefs": uses_briefs(request.user)}
    if context["uses_briefs"]:
        context["summary"] = catalog_summary()
        page = Paginator(
            page_selectors.home_briefs(request.user), HOME_PAGE_SIZE, allow_empty_first_page=True
        ).get_page(request.GET.get("page"))
        context["page"] = page
        context["all_briefs"] = is_lead(request.user)
        context["rows"] = page_selectors.home_rows(list(page.object_list))
    return render(request, "generation/home.html", context)


@require_http_methods(["GET", "POST"])
@briefs_required
def brief_new(request: HttpRequest) -> HttpResponse:
    """The brief form; a valid one opens the brief, ranks it and writes its first prompt."""
    form = BriefForm(request.POST, request.FILES) if request.method == "POST" else BriefForm()
    if form.is_bound and form.is_valid():
        # The form's fields are the service's arguments, as the API's input serializer's are.
        brief = services.brief_create(owner=request.user, **form.cleaned_data)
        count = brief.references.filter(excluded=False).count()
        if brief.prompt_versions.exists():
            note = ngettext(
                "Brief created: Yenni chose {count} reference and wrote the prompt.",
                "Brief created: Yenni chose {count} references and wrote the prompt.",
                count,
            )
        else:
            note = ngettext(
                "Brief created: Yenni chose {count} reference; the prompt is being written.",
                "Brief created: Yenni chose {count} references; the prompt is being written.",
                count,
            )
        messages.success(request, note.format(count=count))
        return redirect("brief_detail", pk=brief.pk)
    return render(request, "generation/brief_new.html", {"form": form})


# --- the brief page ------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    brief: Brief,
    *,
    prompt_form: PromptForm | None = None,
    generate_form: GenerateForm | None = None,
    rewrite_confirm: PromptVersion | None = None,
    recent=None,
) -> HttpResponse:
    """The brief page, its sections from the cache where they are there (see page_cache).

    `recent`: the time the brief's stamp was read with it (`page_cache.with_stamp`), if it was.
    """
    changeable = can_change(request.user, brief)
    generation = image_generation()
    live = prompt_form is not None or generate_form is not None or rewrite_confirm is not None
    # Read once, and only when a section is rendered.
    page_context = cache(
        lambda: _page_context(
            request,
            brief,
            changeable=changeable,
            generation=generation,
            prompt_form=prompt_form,
            generate_form=generate_form,
            rewrite_confirm=rewrite_confirm,
        )
    )
    viewer = {"can_change": changeable, "is_staff": request.user.is_staff}
    if recent is not None:
        stamp = page_cache.stamp_of(brief)
    else:
        recent = page_selectors.recent_jobs_since()
        stamp = None if live else page_cache.stamp_parts(brief, recent=recent)
    if stamp is not None:
        # Keys from the digests: the rows are read only if a section must be rendered.
        sections = page_cache.brief_sections(brief, stamp, generation=generation, **viewer)
        fragments = page_cache.sections_rendered(
            request,
            sections,
            page_context,
            still_current=lambda: page_cache.stamp_parts(brief, recent=recent) == stamp,
        )
        pending = False  # stamp_parts says no job is unfinished
    else:
        page = page_context()["page"]
        presets = page_selectors.active_presets() if changeable and generation.active else None
        sections = page_cache.brief_sections(
            brief,
            page_cache.page_parts(page, presets),
            generation=generation,
            prompt_live=prompt_form is not None
            or rewrite_confirm is not None
            or any(not line.job.finished for line in page.write_jobs),
            generate_live=generate_form is not None,
            batches_live=any(not line.job.finished for line in page.batch_jobs),
            **viewer,
        )
        fragments = page_cache.sections_rendered(request, sections, page_context)
        pending = page.pending
    context = {"brief": brief, "fragments": fragments, "pending": pending}
    if live:
        # A form's errors are read by the tests and the page alike from the full context.
        context = {**page_context(), **context}
    return render(request, "generation/brief_detail.html", context)


def _page_context(
    request: HttpRequest,
    brief: Brief,
    *,
    changeable: bool,
    generation,
    prompt_form: PromptForm | None,
    generate_form: GenerateForm | None,
    rewrite_confirm: PromptVersion | None,
) -> dict:
    """What the sections render: the page's rows and the forms, built only when shown."""
    page = page_selectors.brief_page(brief)
    return {
        "brief": brief,
        "page": page,
        "can_change": changeable,
        "prompt_form": prompt_form or SimpleLazyObject(lambda: _prompt_form(page.prompt)),
        "generate_form": generate_form or SimpleLazyObject(lambda: _generate_form(brief)),
        # What the current version fills of the image model's 77-token window ("62 / 77").
        "prompt_tokens": _prompt_tokens(page.prompt),
        # Known before anyone presses Generate: the page says so instead of offering it.
        "image_generation": generation,
        "share_form": SimpleLazyObject(ShareForm),
        # The hand edit a rewrite would replace: the page asks before writing over it.
        "rewrite_confirm": rewrite_confirm,
        "rewrite_warning": services.hand_edit_warning(rewrite_confirm) if rewrite_confirm else "",
        # From the batches the page already holds: no extra query.
        "has_picks": any(image.picked for card in page.batches for image in card.images),
    }


def _prompt_form(prompt: PromptVersion | None) -> PromptForm:
    initial = {"positive": prompt.positive, "negative": prompt.negative} if prompt else None
    return PromptForm(initial=initial)


def _prompt_tokens(prompt) -> dict[str, int] | None:
    if prompt is None:
        return None
    return {
        "positive": clip_window_tokens(prompt.positive),
        "negative": clip_window_tokens(prompt.negative),
        "window": CLIP_WINDOW,
    }


def _generate_form(brief: Brief, data=None) -> GenerateForm:
    return GenerateForm(
        data,
        initial={
            "guidance_scale": brief.guidance_scale,
            "style_preset": brief.style_preset_id,
            "image_count": brief.image_count,
        },
    )


@require_GET
@briefs_required
def brief_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The brief, its references, prompt, batches and share links; read-only for non-owners.

    The brief is read with its rows' digests (the page's cache keys), in one query: what
    `brief_view` does for a GET, with the stamp joined in.
    """
    recent = page_selectors.recent_jobs_since()
    visible = page_cache.with_stamp(briefs_visible_to(request.user), recent=recent)
    return _detail(request, get_object_or_404(visible, pk=pk), recent=recent)


REFERENCE_ACTIONS = {
    "pin": ({"pinned": True}, gettext_lazy("Pinned: this reference stays when you rank again.")),
    "unpin": ({"pinned": False}, gettext_lazy("Unpinned.")),
    "exclude": (
        {"excluded": True},
        gettext_lazy("Excluded: this image will not come back when you rank again."),
    ),
    "include": ({"excluded": False}, gettext_lazy("Included again.")),
}


@require_POST
@brief_view
def brief_reference(request: HttpRequest, brief: Brief, image_id: int) -> HttpResponse:
    """Pin, unpin, exclude or include one of the brief's references."""
    form = ReferenceActionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown action: use pin, unpin, exclude or include."))
    get_object_or_404(brief.references, image_id=image_id)
    changes, note = REFERENCE_ACTIONS[form.cleaned_data["action"]]
    services.brief_reference_mark(brief, image_id=image_id, **changes)
    messages.success(request, note)
    return _back_to(brief, "references")


@require_POST
@brief_view
def brief_rerank(request: HttpRequest, brief: Brief) -> HttpResponse:
    """Rank again (pins kept, exclusions left out) and write a prompt from the new references."""
    job = services.brief_refresh(brief)
    count = brief.references.filter(excluded=False).count()
    kept = services.current_hand_edit(brief)
    if kept is not None:
        note = ngettext(
            "Ranked again: {count} reference. Your edit, version {number}, stays the current "
            "prompt; “Rewrite from the references” writes one from it.",
            "Ranked again: {count} references. Your edit, version {number}, stays the current "
            "prompt; “Rewrite from the references” writes one from them.",
            count,
        )
    elif job is None:
        note = ngettext(
            "Ranked again: {count} reference, and a new prompt from it.",
            "Ranked again: {count} references, and a new prompt from them.",
            count,
        )
    else:
        note = ngettext(
            "Ranked again: {count} reference. The language model is writing a new prompt.",
            "Ranked again: {count} references. The language model is writing a new prompt.",
            count,
        )
    # What changed ("Se quitó la pieza 12; entra la pieza 31 en el puesto 4."), as stored.
    change = (brief.ranking or {}).get(f"change_{page_language()}") or ""
    note = note.format(count=count, number=kept.number if kept else "")
    messages.success(request, " ".join(filter(None, [note, change])))
    return _back_to(brief, "references")


@require_POST
@brief_view
def brief_prompt_edit(request: HttpRequest, brief: Brief) -> HttpResponse:
    """Save the analyst's prompt as a new version (the brand guidelines still apply)."""
    form = PromptForm(request.POST)
    if not form.is_valid():
        return _detail(request, brief, prompt_form=form)
    try:
        version = services.prompt_version_edit(brief, author=request.user, **form.cleaned_data)
    except ValidationError as refused:
        form.add_error("positive", refused)
        return _detail(request, brief, prompt_form=form)
    messages.success(request, _("Prompt saved as version {number}.").format(number=version.number))
    # Which guardrail removed which words ("Se quitó «niños» (menores de edad)").
    removed = removal_message(version.guardrail_removals)
    if removed:
        messages.warning(request, removed)
    if " ".join(version.positive.split()) != " ".join(form.cleaned_data["positive"].split()):
        messages.info(
            request,
            _("The brand guidelines were applied: the saved prompt differs from what you typed."),
        )
    return _back_to(brief, "prompt")


@require_POST
@brief_view
def brief_prompt_rewrite(request: HttpRequest, brief: Brief) -> HttpResponse:
    """Write a new prompt version from the current references.

    Over a hand edit the page asks first (the service refuses without `confirm`): it says the
    edit stays in the version list and can be restored, and offers "Rewrite anyway".
    """
    try:
        job = services.prompt_rewrite(brief, confirm=request.POST.get("confirm") == "1")
    except services.HandEditWouldBeReplaced as asked:
        return _detail(request, brief, rewrite_confirm=asked.version)
    if job is None:
        number = brief.prompt_versions.order_by("-number").values_list("number", flat=True)[0]
        messages.success(
            request, _("Yenni wrote version {number} from the references.").format(number=number)
        )
    else:
        messages.info(
            request, _("The language model is writing a new prompt; it appears here when ready.")
        )
    return _back_to(brief, "prompt")


@require_POST
@brief_view
def brief_prompt_restore(request: HttpRequest, brief: Brief, number: int) -> HttpResponse:
    """Make an older version current again, as a new version (history is never rewritten)."""
    old = get_object_or_404(brief.prompt_versions, number=number)
    try:
        version = services.prompt_version_restore(brief, number=old.number, author=request.user)
    except services.AlreadyCurrent as current:
        messages.info(request, str(current))
        return _back_to(brief, "prompt")
    except ValidationError as refused:
        messages.error(
            request,
            _("Version {number} was not restored: {reason}").format(
                number=old.number, reason=" ".join(refused.messages)
            ),
        )
        return _back_to(brief, "prompt")
    messages.success(
        request,
        _("Version {old} restored as version {new}.").format(old=old.number, new=version.number),
    )
    if (version.positive, version.negative) != (old.positive, old.negative):
        messages.info(
            request,
            _(
                "The brand guidelines were applied: the restored prompt differs from version "
                "{number}."
            ).format(number=old.number),
        )
    return _back_to(brief, "prompt")


@require_POST
@brief_view
def brief_generate(request: HttpRequest, brief: Brief) -> HttpResponse:
    """Queue a batch of images; the page follows its progress."""
    if not image_generation().active:
        # A page loaded before the setting changed, or a hand-made POST: a batch queued now
        # could only end in "no model", so nothing is queued and the analyst reads why.
        messages.error(request, GENERATION_OFF)
        return _back_to(brief, "generate")
    form = _generate_form(brief, request.POST)
    if not form.is_valid():
        return _detail(request, brief, generate_form=form)
    services.batch_queue(brief, **form.cleaned_data)
    messages.success(request, _("Images queued. They appear below as soon as they are ready."))
    return _back_to(brief, "batches")


@require_GET
@brief_view
def brief_progress(request: HttpRequest, brief: Brief) -> JsonResponse:
    """Where the brief's jobs stand, for the page to update itself without reloading."""
    changeable = can_change(request.user, brief)
    staff = request.user.is_staff
    jobs = []
    for job in page_selectors.progress_jobs(brief):
        line = page_selectors.job_line(job)
        batch = page_selectors.job_batch(job)
        html = None
        if batch is not None and job.finished:
            html = render_to_string(
                "generation/partials/batch.html",
                {
                    "card": page_selectors.batch_card(batch),
                    "brief": brief,
                    "can_change": changeable,
                },
                request=request,
            )
        jobs.append(
            {
                "id": job.pk,
                "kind": job.kind,
                "status": job.status,
                "stage": job.stage,
                "label": line.label,
                "elapsed_seconds": line.elapsed_seconds,
                # Stored in English; shown in the page's language where the catalogue has it.
                "error": _(job.error) if job.error else "",
                "how_to_fix": _how_to_fix(job, staff=staff),
                "batch_id": batch.pk if batch is not None else None,
                "html": html,
            }
        )
    pending = any(job["status"] not in ModelJob.FINISHED for job in jobs)
    return JsonResponse({"pending": pending, "jobs": jobs})


def _how_to_fix(job: ModelJob, *, staff: bool) -> str:
    """What to do after a job, for this reader.

    A job with no model ("unavailable") carries an operator's instructions (pip, settings):
    staff read them, an analyst reads whom to ask. Other advice is for whoever ran the job.
    """
    if not job.how_to_fix:
        return ""
    if job.status == ModelJob.Status.UNAVAILABLE and not staff:
        return str(ASK_FOR_THE_MODEL)
    return _(job.how_to_fix)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@brief_view
def image_pick(request: HttpRequest, brief: Brief, image_pk: int) -> HttpResponse:
    """Pick or unpick a generated image: JSON for the page's script, a redirect without it."""
    image = get_object_or_404(GeneratedImage, pk=image_pk, batch__brief=brief)
    form = PickForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Say picked=true or picked=false."))
    services.generated_image_pick(image, picked=form.cleaned_data["picked"])
    if _wants_json(request):
        return JsonResponse({"id": image.pk, "picked": image.picked})
    return _back_to(brief, f"image-{image.pk}")


# --- sharing -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@brief_view
def brief_share(request: HttpRequest, brief: Brief) -> HttpResponse:
    """The brief's share links; a POST creates one and shows its address this once."""
    form = ShareForm(request.POST) if request.method == "POST" else ShareForm()
    new_url = ""
    has_picks = share_selectors.shared_images(brief).exists()
    confirm_no_picks = False
    if form.is_bound and form.is_valid():
        values = dict(form.cleaned_data)
        # With no picked image the agency would see none: asked once, here on the server (not
        # only in a script), and shared when the confirmation comes back.
        confirmed = values.pop("confirm_no_picks")
        confirm_no_picks = not (has_picks or confirmed)
    if form.is_bound and form.is_valid() and not confirm_no_picks:
        link, token = sharing.share_link_create(brief=brief, created_by=request.user, **values)
        # Shown in this response only: the token is not stored, so no later page can show it.
        new_url = request.build_absolute_uri(reverse("share_page", args=[token]))
        messages.success(request, _("Link created for {agency}.").format(agency=link.agency))
        form = ShareForm()
    context = {
        "brief": brief,
        "can_change": can_change(request.user, brief),
        "share_form": form,
        "confirm_no_picks": confirm_no_picks,
        "has_picks": has_picks,
        "share_links": list(brief.share_links.all()),
        "new_url": new_url,
    }
    return render(request, "generation/brief_share.html", context)


@require_POST
@brief_view
def share_revoke(request: HttpRequest, brief: Brief, link_pk: int) -> HttpResponse:
    """Stop one of the brief's links from opening; it stays listed as revoked."""
    link = get_object_or_404(brief.share_links, pk=link_pk)
    sharing.share_link_revoke(link)
    messages.success(
        request, _("The link for {agency} no longer opens.").format(agency=link.agency)
    )
    return redirect("brief_share", pk=brief.pk)


# --- generated images ----------------------------------------------------------------------


@require_safe
@briefs_required
def generated_image_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a generated image to someone who may see its brief (the brief page's check)."""
    image = get_object_or_404(
        GeneratedImage.objects.select_related("batch"),
        pk=pk,
        batch__brief__in=briefs_visible_to(request.user),
    )
    # A generated file never changes; "private" keeps shared caches from holding it.
    return stored_file_response(
        image.file.name, cache_control="private, max-age=86400", storage=image.file.storage
    )


@require_POST
@briefs_required
def board_to_brief(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin the board's pieces on one of the user's briefs, then open that brief."""
    board = get_object_or_404(Board, pk=pk, owner=request.user)
    form = BoardPinForm(request.POST)
    if not form.is_valid():
        raise Http404("Not a brief.")
    brief = get_object_or_404(briefs_visible_to(request.user), pk=form.cleaned_data["brief"])
    if not can_change(request.user, brief):
        return render(request, "generation/no_access.html", {"reason": "not_owner"}, status=403)
    if not board.items.exists():
        messages.info(request, _("The board is empty: add pieces to it first."))
        return redirect("board_detail", pk=board.pk)
    try:
        pinned = services.board_to_brief(board, brief)
    except PermissionDenied:
        return render(request, "generation/no_access.html", {"reason": "not_owner"}, status=403)
    messages.success(
        request,
        ngettext(
            "{count} piece from “{board}” is pinned on this brief.",
            "{count} pieces from “{board}” are pinned on this brief.",
            len(pinned),
        ).format(count=len(pinned), board=board.name),
    )
    return HttpResponseRedirect(reverse("brief_detail", args=[brief.pk]) + "#references")
