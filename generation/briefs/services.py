"""The brief workflow: create and rank a brief, write and edit its prompt, queue its images.

Model runs happen in jobs (generation.jobs.handlers); these services queue them and hold what
a job and a page both need. Every prompt, whoever wrote it, passes through
`generation.backends.prompt.rules.enforce` with the brief's guidelines, so neither a brief's text
nor a model's answer can drop the brand and compliance rules.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import secrets
import time
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

# Stored in English (the catalogue's msgids); pages translate them when they show them.
from django.utils.translation import gettext_noop as _
from PIL import Image

from campaigns.ranking.selectors import BriefRanking, brief_ranking
from generation.backends import runtime
from generation.backends.base import (
    SEED_MAX,
    BackendUnavailable,
    PromptRequest,
    PromptResult,
    ReferenceNote,
)
from generation.backends.prompt.rules import (
    CLIP_WINDOW,
    clip_window_tokens,
    enforce,
    guardrail_scrub,
)
from generation.briefs.guidelines import guidelines_for, style_spec
from generation.briefs.permissions import can_change
from generation.descriptions import describe_config, descriptions_for, images_describe
from generation.jobs import queue as jobs
from generation.models import (
    SKETCH_EXTENSIONS,
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    StylePreset,
)
from library.models import Board
from yenni_site.language import in_both_languages

log = logging.getLogger(__name__)

# References the prompt writer reads.
PROMPT_REFERENCES = 8
SKETCH_NAME_MAX = Brief._meta.get_field("sketch_name").max_length


# --- rank ----------------------------------------------------------------------------------


def brief_rank(brief: Brief, *, as_of=None) -> BriefRanking:
    """Rank the node's history for the brief and store its references.

    Pinned references stay (first, in their order); excluded images stay out; the rest are
    replaced by the new ranking. Records the rule and version used.
    """
    excluded = list(brief.references.filter(excluded=True).values_list("image_id", flat=True))
    ranking = brief_ranking(
        node=brief.node, objective=brief.objective, as_of=as_of, exclude_image_ids=excluded
    )
    before = _ranked_before(brief)
    estimates = [r.estimate for r in ranking.references if r.estimate and r.estimate > 0]
    best = (min(estimates) if ranking.lower_is_better else max(estimates)) if estimates else 0
    with transaction.atomic():
        pinned = {
            ref.image_id: ref for ref in brief.references.select_for_update().filter(pinned=True)
        }
        brief.references.filter(pinned=False, excluded=False).delete()
        order = len(pinned)
        for ref in ranking.references:
            weight = 1.0
            if best and ref.estimate and ref.estimate > 0:
                ratio = best / ref.estimate if ranking.lower_is_better else ref.estimate / best
                weight = round(min(1.0, ratio), 4)
            values = {
                "metric": ranking.metric,
                "estimate": ref.estimate,
                "interval_low": ref.interval[0],
                "interval_high": ref.interval[1],
                "weight": weight,
                "platforms": ref.platforms,
                "figures": ref.figures,
                "reason_es": ref.reason_es,
                "reason_en": ref.reason_en,
            }
            if ref.image_id in pinned:
                BriefReference.objects.filter(pk=pinned[ref.image_id].pk).update(**values)
                continue
            order += 1
            BriefReference.objects.create(brief=brief, image_id=ref.image_id, order=order, **values)
        brief.ranking_rule_id = ranking.rule_id
        brief.ranking_rule_version = ranking.rule_version
        brief.ranking = {
            key: value
            for key, value in ranking.as_dict().items()
            if key not in {"references", "gate_misses"}
        }
        shown = _shown(brief)
        brief.ranking["shown"] = shown
        if before is not None:
            change_es, change_en = in_both_languages(lambda: ranking_change(before, shown))
            brief.ranking.update(change_es=change_es, change_en=change_en)
        brief.ranked_at = timezone.now()
        brief.save(
            update_fields=[
                "ranking_rule",
                "ranking_rule_version",
                "ranking",
                "ranked_at",
                "updated_at",
            ]
        )
    return ranking


def _shown(brief: Brief, *, with_excluded: bool = False) -> list[int]:
    """The brief's references as the page lists them (pinned first, then by rank): the page
    numbers them 1, 2, 3… in this order."""
    refs = brief.references.all() if with_excluded else brief.references.filter(excluded=False)
    return list(refs.order_by("-pinned", "order").values_list("image_id", flat=True))


def _ranked_before(brief: Brief) -> list[int] | None:
    """The references the brief showed after its last ranking, in the page's order; None when
    it was never ranked. Before that list was stored, the references as they stand, the
    excluded ones included (they were shown until excluded)."""
    if brief.ranked_at is None:
        return None
    stored = (brief.ranking or {}).get("shown")
    if stored is not None:
        return list(stored)
    return _shown(brief, with_excluded=True)


def ranking_change(before: list[int], now: list[int]) -> str:
    """Say what ranking again changed, in the active language, with the numbers the page
    shows: "Se quitó la pieza 12; entra la pieza 31 en el puesto 4." The pieces that stay keep
    their figures and order (issue 15 item 4)."""
    if now == before:
        return gettext("The references did not change.")
    parts = [
        gettext("piece {image_id} left").format(image_id=image_id)
        for image_id in before
        if image_id not in now
    ]
    parts += [
        gettext("piece {image_id} comes in at number {position}").format(
            image_id=image_id, position=number
        )
        for number, image_id in enumerate(now, start=1)
        if image_id not in before
    ]
    if not parts:
        return gettext("The same references, in another order.")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def brief_create(
    *,
    owner,
    node,
    objective: str,
    title: str,
    description: str,
    audience: str = "",
    tone: str = "",
    style_preset: StylePreset | None = None,
    image_count: int = 4,
    guidance_scale: float = 7.0,
    seed: int | None = None,
    sketch=None,
    sketch_strength: float = 0.6,
) -> Brief:
    """Open a brief, rank its references and write its first prompt (or queue the writer).

    Ranking takes milliseconds and the composer is instant, so the analyst sees references and
    a prompt as soon as the page loads; a language-model writer runs as a job instead.
    """
    brief = Brief(
        owner=owner,
        node=node,
        objective=objective,
        title=title.strip(),
        description=description.strip(),
        audience=audience.strip(),
        tone=tone.strip(),
        style_preset=style_preset,
        image_count=image_count,
        guidance_scale=guidance_scale,
        seed=seed,
        sketch_strength=sketch_strength,
    )
    if sketch:
        brief.sketch, brief.sketch_name = sketch_file(sketch)
    brief.full_clean()
    brief.save()
    brief_refresh(brief)
    return brief


def sketch_file(upload) -> tuple[ContentFile, str]:
    """The analyst's upload as the file to store, and its name as the analyst knows it.

    The stored name is made by the server (generation.models.sketch_upload_to) with the
    extension of the format Pillow reads in the bytes, whatever the upload was called: a file
    is served with its extension's type, so evil.html must not stay evil.html. The form has
    already said why a bad file is refused; this is the same rule for every other caller.
    """
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
    except (OSError, ValueError, Image.DecompressionBombError):
        fmt = None
    extension = SKETCH_EXTENSIONS.get(fmt or "")
    if extension is None:
        raise ValidationError(gettext("The sketch must be a JPEG, PNG or WebP image."))
    shown = "".join(ch for ch in PurePosixPath(upload.name or "").name if ch.isprintable())
    return ContentFile(data, name=f"sketch.{extension}"), shown[:SKETCH_NAME_MAX]


def brief_refresh(brief: Brief) -> ModelJob | None:
    """Rank again (pins and exclusions kept) and write a new prompt from the new references,
    unless the current prompt is the analyst's hand edit, which stays current."""
    from campaigns.ranking.selectors import NoRuleError, StaleRankingError

    try:
        brief_rank(brief)
    except StaleRankingError as exc:
        # Ranking now would leave the latest results out: keep what the brief shows, say why.
        message_es, message_en = in_both_languages(exc.analyst_message)
        brief.ranking = {"message_en": message_en, "message_es": message_es}
        brief.save(update_fields=["ranking", "updated_at"])
    except NoRuleError:
        message_es, message_en = in_both_languages(
            lambda: gettext("No ranking rule covers this business unit and objective yet.")
        )
        brief.ranking = {"message_en": message_en, "message_es": message_es}
        brief.save(update_fields=["ranking", "updated_at"])
    if current_hand_edit(brief) is not None:
        # Ranking again is about the references; the analyst's own prompt stays current (the
        # page says so, and "rewrite" writes one from the new references when they want it).
        return None
    return brief_prompt_refresh(brief)


def current_hand_edit(brief: Brief) -> PromptVersion | None:
    """The current version when the analyst made it current (an edit or a restore), else None."""
    current = brief.latest_prompt
    if current is not None and current.source == PromptVersion.Source.ANALYST:
        return current
    return None


def brief_prompt_refresh(brief: Brief) -> ModelJob | None:
    """A new prompt version now with the composer, or a queued job for a language model."""
    if runtime.role_config("prompt").backend == "composer":
        brief_prompt_write(brief)
        return None
    return prompt_write_queue(brief)


def brief_reference_mark(
    brief: Brief, *, image_id: int, pinned: bool | None = None, excluded: bool | None = None
) -> BriefReference:
    """Pin or exclude one image for the brief (any past image may be pinned, ranked or not)."""
    ref, _created = BriefReference.objects.get_or_create(
        brief=brief,
        image_id=image_id,
        defaults={"order": brief.references.count() + 1, "weight": 1.0},
    )
    if pinned is not None:
        ref.pinned = pinned
        if pinned:
            ref.excluded = False
    if excluded is not None:
        ref.excluded = excluded
        if excluded:
            ref.pinned = False
    ref.save(update_fields=["pinned", "excluded"])
    return ref


# --- write the prompt ----------------------------------------------------------------------


def prompt_request_for(brief: Brief) -> PromptRequest:
    """What the prompt writer reads: the brief, its best references' descriptions, the rules."""
    refs = list(
        brief.references.filter(excluded=False).order_by("-pinned", "order")[:PROMPT_REFERENCES]
    )
    _ensure_described([ref.image_id for ref in refs])
    found = descriptions_for([ref.image_id for ref in refs], backend=describe_config().backend)
    notes = [
        ReferenceNote(
            text=found[ref.image_id].text,
            attributes=found[ref.image_id].attributes,
            weight=1.0 if ref.pinned else ref.weight,
        )
        for ref in refs
        if ref.image_id in found
    ]
    return PromptRequest(
        subject=brief.description,
        title=brief.title,
        objective=brief.objective,
        node=brief.node.name,
        audience=brief.audience,
        tone=brief.tone,
        references=notes,
        guidelines=guidelines_for(brief.node),
        style=style_spec(brief.style_preset),
    )


def _ensure_described(image_ids: list[int]) -> None:
    """Describe references the background job has not reached yet (the heuristic if need be)."""
    if not image_ids:
        return
    try:
        images_describe(image_ids=image_ids)  # skips images this backend already described
    except BackendUnavailable as exc:
        log.warning("Describe backend unavailable (%s); using the heuristic for references.", exc)
        images_describe(image_ids=image_ids, config=describe_config("heuristic"))


def brief_prompt_write(brief: Brief, *, job: ModelJob | None = None) -> PromptVersion:
    """Write a new prompt version with the configured writer (the composer if it can't run)."""
    request = prompt_request_for(brief)
    config = runtime.role_config("prompt")
    started = time.perf_counter()
    fallback_reason = fallback_reason_es = ""
    try:
        was_loaded = runtime.is_loaded(config)
        writer = runtime.load(config)
        if job is not None:
            load_seconds = 0.0 if was_loaded else time.perf_counter() - started
            jobs.job_stage(job, "writing", load_seconds=load_seconds, model_id=writer.model_id)
    except BackendUnavailable as exc:
        if config.backend == "composer":
            raise
        problem = exc.message
        fallback_reason_es, fallback_reason = in_both_languages(
            lambda: gettext(
                "The language model could not be used ({problem}); the composer wrote this prompt."
            ).format(problem=problem)
        )
        writer = runtime.load(dataclasses.replace(config, backend="composer"))
    inference_started = time.perf_counter()
    result = writer.write(request)
    if job is not None:
        job.inference_seconds = time.perf_counter() - inference_started
    result = enforce(result, request.guidelines, request.style)
    if not fallback_reason:
        fallback_reason, fallback_reason_es = result.fallback_reason, result.fallback_reason_es
    source = (
        PromptVersion.Source.COMPOSER
        if fallback_reason or config.backend == "composer"
        else PromptVersion.Source.LLM
    )
    return _prompt_version_create(
        brief,
        positive=result.positive,
        negative=result.negative,
        rationale=result.rationale,
        rationale_es=result.rationale_es,
        source=source,
        model_id=result.model_id,
        fallback_reason=fallback_reason,
        fallback_reason_es=fallback_reason_es,
    )


def prompt_version_edit(brief: Brief, *, positive: str, negative: str, author) -> PromptVersion:
    """The analyst's edit, as a new version; the guidelines still apply to it.

    A long edit is saved trimmed, as every writer's prompt is: its last phrases go first, never
    the first one (the subject) nor the brand's required elements, until it fits the 77 tokens
    the image model reads. Only when those alone are over the window is the edit refused
    (ValidationError), since no trim could keep them all inside and the image model would
    silently read none of what follows the 77th token.
    """
    return _analyst_version_save(
        brief,
        positive=positive,
        negative=negative,
        rationale=in_both_languages(
            lambda: gettext("Edited by {name}.").format(name=_name(author))
        ),
        author=author,
    )


class AlreadyCurrent(Exception):
    """The version asked for is the brief's current prompt: restoring it would copy nothing."""

    def __init__(self, version: PromptVersion) -> None:
        super().__init__(
            gettext("Version {number} is already the current prompt.").format(number=version.number)
        )
        self.version = version


def prompt_version_restore(brief: Brief, *, number: int, author) -> PromptVersion:
    """Make an older version the current prompt again, as a NEW version copying its texts.

    History is never rewritten: the copy records who restored it, when, and from which
    version. It goes through the same save path as an edit, so the guidelines and the token
    window of today apply to it (a version saved before a lead forbade a word does not bring
    the word back). Raises PromptVersion.DoesNotExist for a number the brief lacks,
    AlreadyCurrent for the current version, ValidationError when it cannot fit the window.
    """
    old = brief.prompt_versions.get(number=number)
    current = brief.latest_prompt
    if current is not None and current.pk == old.pk:
        raise AlreadyCurrent(old)
    return _analyst_version_save(
        brief,
        positive=old.positive,
        negative=old.negative,
        rationale=in_both_languages(
            lambda: gettext("Restored from version {number} by {name}.").format(
                number=old.number, name=_name(author)
            )
        ),
        author=author,
        restored_from=old,
    )


def _name(user) -> str:
    return user.get_full_name() or user.username


def _analyst_version_save(
    brief: Brief,
    *,
    positive: str,
    negative: str,
    rationale: tuple[str, str],
    author,
    restored_from: PromptVersion | None = None,
) -> PromptVersion:
    """Every text an analyst makes current (an edit or a restore) is saved by this one path.

    `rationale` is (Spanish, English), as in_both_languages writes it: stored side by side, so
    a page reads it in its own language, not in the one the saver's page spoke.
    """
    rationale_es, rationale_en = rationale
    guidelines = guidelines_for(brief.node)
    # What the concept guardrails take out of the analyst's words, told back to the analyst
    # (issue 14 item 3): the edit is saved without them, never refused for them.
    removals = guardrail_scrub(positive, guidelines).removals
    result = enforce(
        PromptResult(positive=positive, negative=negative, rationale=rationale_en, model_id=""),
        guidelines,
        style_spec(brief.style_preset),
    )
    tokens = clip_window_tokens(result.positive)
    if tokens > CLIP_WINDOW:
        raise ValidationError(
            gettext(
                "Too long for the image model: the first phrase and the brand's required "
                "elements alone take {tokens} of the {window} tokens it reads. Shorten the first "
                "phrase (before the first comma)."
            ).format(tokens=tokens, window=CLIP_WINDOW)
        )
    version = _prompt_version_create(
        brief,
        positive=result.positive,
        negative=result.negative,
        rationale=rationale_en,
        rationale_es=rationale_es,
        source=PromptVersion.Source.ANALYST,
        model_id="",
        author=author,
        restored_from=restored_from,
    )
    # Not stored: the page and the API say it once, right after the save.
    version.guardrail_removals = removals
    return version


class HandEditWouldBeReplaced(Exception):
    """A rewrite asked for without confirmation while the current prompt is a hand edit."""

    def __init__(self, version: PromptVersion) -> None:
        super().__init__(hand_edit_warning(version))
        self.version = version


def hand_edit_warning(version: PromptVersion) -> str:
    """What the page and the API say before a rewrite replaces the analyst's own prompt."""
    return gettext(
        "The current prompt, version {number}, was edited by hand. Rewriting it from the "
        "references makes a new version the current prompt; version {number} stays in the "
        "version list, where you can restore it."
    ).format(number=version.number)


def prompt_rewrite(brief: Brief, *, confirm: bool = False) -> ModelJob | None:
    """Rewrite the prompt from the references, asking first when it would replace a hand edit.

    A version the analyst made current (an edit or a restore) is their decision; a rewrite
    would quietly put the writer's text in its place. Nothing is lost (the edit stays in the
    list and can be restored), but the analyst must know that before it happens, so without
    `confirm` this raises HandEditWouldBeReplaced and writes nothing. The check is here, on
    the server, so the page, the API and a hand-made POST all get it.
    """
    current = current_hand_edit(brief)
    if current is not None and not confirm:
        raise HandEditWouldBeReplaced(current)
    return brief_prompt_refresh(brief)


def _prompt_version_create(brief: Brief, **fields) -> PromptVersion:
    # Two writers finishing together would pick the same number: retry on the unique clash.
    for _attempt in range(3):
        number = brief.prompt_versions.order_by("-number").values_list("number", flat=True)[:1]
        next_number = (number[0] if number else 0) + 1
        try:
            with transaction.atomic():
                return PromptVersion.objects.create(brief=brief, number=next_number, **fields)
        except IntegrityError:
            continue
    raise IntegrityError("Could not number the prompt version; try again.")


def prompt_write_queue(brief: Brief) -> ModelJob:
    config = runtime.role_config("prompt")
    return jobs.job_queue(kind=ModelJob.Kind.WRITE, backend=config.backend, brief=brief)


# --- generate ------------------------------------------------------------------------------

# batch_queue's "use what the brief says" (None already means "no style preset").
BRIEF_DEFAULT = object()


def batch_queue(
    brief: Brief,
    *,
    prompt_version: PromptVersion | None = None,
    seed: int | None = None,
    guidance_scale: float | None = None,
    style_preset: StylePreset | object | None = BRIEF_DEFAULT,
    image_count: int | None = None,
    steps: int | None = None,
    size: int | None = None,
    from_sketch: bool | None = None,
) -> ImageBatch:
    """Queue a batch of images for the brief; the job writes the prompt first if there is none."""
    config = runtime.role_config("image")
    if seed is None:
        seed = brief.seed if brief.seed is not None and not brief.batches.exists() else None
    size = size or settings.YENNI_IMAGE_SIZE
    with transaction.atomic():
        job = jobs.job_queue(kind=ModelJob.Kind.GENERATE, backend=config.backend, brief=brief)
        return ImageBatch.objects.create(
            brief=brief,
            job=job,
            prompt_version=prompt_version or brief.latest_prompt,
            # None is a choice ("no preset"); leaving the argument out keeps the brief's.
            style_preset=brief.style_preset if style_preset is BRIEF_DEFAULT else style_preset,
            image_count=image_count or brief.image_count,
            guidance_scale=guidance_scale if guidance_scale is not None else brief.guidance_scale,
            steps=steps or settings.YENNI_IMAGE_STEPS,
            width=size,
            height=size,
            seed=seed if seed is not None else secrets.randbelow(SEED_MAX + 1),
            from_sketch=bool(brief.sketch) if from_sketch is None else from_sketch,
            sketch_strength=brief.sketch_strength,
        )


def generated_image_pick(image: GeneratedImage, *, picked: bool) -> GeneratedImage:
    image.picked = picked
    image.picked_at = timezone.now() if picked else None
    image.save(update_fields=["picked", "picked_at"])
    return image


# --- boards from the library -----------------------------------------------------------


def board_to_brief(board: Board, brief: Brief) -> list[BriefReference]:
    """Pin every image of the board on the brief, in the board's order; return the references.

    Only for a brief the board's owner may change (PermissionDenied otherwise, with nothing
    pinned). An image the brief had excluded becomes pinned: choosing it by hand again says so.
    The prompt is not rewritten here; the brief page's "rewrite" does that when the analyst
    wants it.
    """
    if not can_change(board.owner, brief):
        raise PermissionDenied(_("Only the brief's owner can pin references on it."))
    image_ids = list(board.items.order_by("added_at", "pk").values_list("image_id", flat=True))
    with transaction.atomic():
        return [
            brief_reference_mark(brief, image_id=image_id, pinned=True) for image_id in image_ids
        ]
