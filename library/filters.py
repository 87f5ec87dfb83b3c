"""The set of images a library query keeps: its rollup scope, words, colour, description,
orientation and tier, as one queryset (the semantic ranking is library.search's)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from campaigns.models import ImageWeeklyRollup
from creatives.models import CreativeImage, ImageDescription
from creatives.vocabulary import orientation_q
from library.query import LibraryQuery, rollup_q
from library.search import word_matches


def library_images(query: LibraryQuery, *, tiers: dict[int, str] | None = None) -> QuerySet:
    """Every image the query's filters keep (full-text included, semantic ranking not)."""
    images = CreativeImage.objects.all()
    if query.has_rollup_filter:
        rows = ImageWeeklyRollup.objects.filter(rollup_q(query), image=OuterRef("pk"))
        images = images.filter(Exists(rows))
    if query.text and not query.semantic:
        images = word_matches(images, query.text)
    if query.colour:
        images = images.filter(
            Exists(
                ImageDescription.objects.filter(
                    image=OuterRef("pk"), attributes__palette__0=query.colour
                )
            )
        )
    if query.described:
        described = Exists(ImageDescription.objects.filter(image=OuterRef("pk")))
        images = images.filter(described if query.described == "yes" else ~described)
    if query.orientation:
        images = images.filter(orientation_q(query.orientation))
    if query.tier and tiers is not None:
        images = images.filter(pk__in=[pk for pk, tier in tiers.items() if tier == query.tier])
    return images
