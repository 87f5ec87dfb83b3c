"""The agency's download pack: a ZIP with the picked images, the brief as HTML, the evidence.

    brief.html          the brief, readable offline; images referenced inside the ZIP
    evidence.json       brief fields, references and reasons (figures only if the link shows
                        them), prompt version, batch settings and seeds, rule version
    images/01-seed….png the picked images, byte for byte as stored
    references/01-….jpg the images of the references the brief keeps

`pack_write` writes it to any file-like object; `pack_stream` yields it in chunks, one member
at a time, so a web worker never holds the whole ZIP. The output does not need to be seekable:
zipfile then writes each member's sizes after its data.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify

from generation.models import GeneratedImage
from generation.sharing.selectors import SharedBrief, shared_brief

# Copy files into the ZIP in pieces of this size, so a large image is never read whole.
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class PackFile:
    """One stored file and the name it takes inside the ZIP (None: missing from storage)."""

    name: str | None
    file: FieldFile


@dataclass(frozen=True)
class PackPlan:
    shared: SharedBrief
    images: list[PackFile]
    references: list[PackFile]
    generated_at: dt.datetime


def pack_plan(shared: SharedBrief, *, generated_at: dt.datetime | None = None) -> PackPlan:
    """Name every file of the pack (stable names: position, then seed or image id).

    A file missing from storage gets no name, so the ZIP leaves it out instead of breaking
    halfway through a download; the evidence still lists the image, with no file.
    """
    images = [
        _packed(f"images/{n:02d}-seed{image.seed}.png", image.file)
        for n, image in enumerate(shared.images, start=1)
    ]
    references = []
    for ref in shared.references:
        file = ref.reference.image.file
        suffix = PurePosixPath(file.name).suffix.lower() or ".bin"
        references.append(_packed(f"references/{ref.rank:02d}-image{ref.image_id}{suffix}", file))
    return PackPlan(
        shared=shared,
        images=images,
        references=references,
        generated_at=generated_at or timezone.now(),
    )


def _packed(name: str, file: FieldFile) -> PackFile:
    return PackFile(name if file.name and file.storage.exists(file.name) else None, file)


def pack_filename(shared: SharedBrief) -> str:
    return f"yenni-brief-{shared.brief.pk}-{slugify(shared.brief.title)[:40] or 'pack'}.zip"


def pack_write(out: BinaryIO, link) -> PackPlan:
    """Write the pack of a share link to `out` (a file, a BytesIO, a socket-like stream), in
    the active language."""
    plan = pack_plan(shared_brief(link))
    for _step in _write_steps(out, plan):
        pass
    return plan


def pack_stream(plan: PackPlan) -> Iterator[bytes]:
    """Yield the ZIP's bytes as each member is written (for a streaming HTTP response)."""
    sink = _Sink()
    for _step in _write_steps(sink, plan):
        chunk = sink.take()
        if chunk:
            yield chunk
    chunk = sink.take()
    if chunk:
        yield chunk


def evidence(plan: PackPlan) -> dict:
    """The evidence behind the brief as plain data (what evidence.json holds)."""
    shared = plan.shared
    brief = shared.brief
    prompt = shared.prompt
    ranking = brief.ranking or {}
    return {
        "brief": {
            "id": brief.pk,
            "title": brief.title,
            "node": brief.node.name,
            "node_slug": brief.node.slug,
            "objective": brief.objective,
            "objective_label": shared.objective_label,
            "description": brief.description,
            "audience": brief.audience,
            "tone": brief.tone,
            "style_preset": brief.style_preset.slug if brief.style_preset else None,
            "created_at": brief.created_at.isoformat(),
        },
        "agency": shared.link.agency,
        "show_figures": shared.show_figures,
        "language": shared.language,
        "ranking": {
            "rule_id": brief.ranking_rule_id,
            "rule_version": brief.ranking_rule_version,
            "metric": ranking.get("metric"),
            "window_start": ranking.get("window_start"),
            "window_end": ranking.get("window_end"),
            "ranked_at": brief.ranked_at.isoformat() if brief.ranked_at else None,
        },
        "references": [
            _reference_evidence(ref, packed.name, figures=shared.show_figures)
            for ref, packed in zip(shared.references, plan.references, strict=True)
        ],
        "prompt": None
        if prompt is None
        else {
            "version": prompt.number,
            "positive": prompt.positive,
            "negative": prompt.negative,
            "source": prompt.source,
            "model_id": prompt.model_id,
            "created_at": prompt.created_at.isoformat(),
        },
        "images": [
            _image_evidence(image, packed.name)
            for image, packed in zip(shared.images, plan.images, strict=True)
        ],
        "generated_at": plan.generated_at.isoformat(),
    }


def _reference_evidence(ref, name: str, *, figures: bool) -> dict:
    row = {
        "rank": ref.rank,
        "image_id": ref.image_id,
        "file": name,
        "pinned": ref.reference.pinned,
        "platforms": list(ref.reference.platforms or []),
        "metric": ref.reference.metric,
        "reason": ref.reason,
    }
    if figures:
        row |= {
            "reason_es": ref.reference.reason_es,
            "reason_en": ref.reference.reason_en,
            "estimate": ref.reference.estimate,
            "interval": [ref.reference.interval_low, ref.reference.interval_high],
            "figures": dict(ref.reference.figures or {}),
        }
    return row


def _image_evidence(image: GeneratedImage, name: str) -> dict:
    batch = image.batch
    return {
        "file": name,
        "image_id": image.pk,
        "seed": image.seed,
        "index": image.index,
        "width": image.width,
        "height": image.height,
        "picked_at": image.picked_at.isoformat() if image.picked_at else None,
        "batch": {
            "id": batch.pk,
            "prompt_version": batch.prompt_version.number if batch.prompt_version else None,
            "seed": batch.seed,
            "seeds": batch.seeds,
            "image_count": batch.image_count,
            "guidance_scale": batch.guidance_scale,
            "steps": batch.steps,
            "width": batch.width,
            "height": batch.height,
            "style_preset": batch.style_preset.slug if batch.style_preset else None,
            "from_sketch": batch.from_sketch,
            "sketch_strength": batch.sketch_strength if batch.from_sketch else None,
            "model_id": batch.model_id,
            "created_at": batch.created_at.isoformat(),
        },
    }


def _write_steps(out: BinaryIO, plan: PackPlan) -> Iterator[None]:
    """Write the ZIP member by member, pausing after each so a caller can flush."""
    # The documents are rendered before the first byte goes out: translation and database
    # reads happen while the request is still being handled, not while the ZIP streams.
    with translation.override(plan.shared.language):
        html = render_to_string(
            "share/brief_pack.html",
            {
                "plan": plan,
                "shared": plan.shared,
                "images": list(zip(plan.shared.images, plan.images, strict=True)),
                "references": list(zip(plan.shared.references, plan.references, strict=True)),
            },
        )
        data = json.dumps(evidence(plan), ensure_ascii=False, indent=2)
    stamp = timezone.localtime(plan.generated_at).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_member("brief.html", stamp), html.encode())
        yield
        archive.writestr(_member("evidence.json", stamp), data.encode())
        yield
        for packed in [*plan.images, *plan.references]:
            if packed.name:
                member = _member(packed.name, stamp)
                with packed.file.open("rb") as source, archive.open(member, "w") as target:
                    while chunk := source.read(COPY_CHUNK):
                        target.write(chunk)
                yield


def _member(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    # Deflated even for images: a stored member written to a stream that cannot seek back
    # needs a data descriptor, which some unzip tools mishandle for stored entries.
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class _Sink:
    """A write-only stream that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        chunk = b"".join(self._chunks)
        self._chunks.clear()
        return chunk
