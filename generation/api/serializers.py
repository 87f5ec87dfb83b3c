"""What the API answers: output serializers (what it accepts is in generation.api.inputs).

They read rows that the views fetched with everything they need already joined, so no
serializer here triggers a query per row.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import DailyMetric, Node
from creatives.models import Creative, CreativeImage, CreativeImageSlot, ImageDescription
from generation.briefs.permissions import can_change
from generation.guardrails.messages import removal_items, removal_message
from generation.models import (
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
    StylePreset,
)
from yenni_site.language import page_language


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


# --- catalog -------------------------------------------------------------------------------


class NodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Node
        fields = ["id", "slug", "name", "description", "active"]


class StylePresetSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="The name in the request's language.")

    class Meta:
        model = StylePreset
        fields = ["id", "slug", "name", "name_es", "name_en", "positive", "negative", "active"]

    def get_name(self, preset: StylePreset) -> str:
        return preset.name_for(page_language())


class ImageDescriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImageDescription
        fields = ["backend", "model_id", "text", "text_es", "attributes", "created_at"]


class CreativeImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The image file: opens with the API's credentials (token or session)."
    )
    orientation = serializers.CharField(read_only=True)

    class Meta:
        model = CreativeImage
        fields = [
            "id",
            "url",
            "width",
            "height",
            "orientation",
            "format",
            "byte_size",
            "sha256",
            "first_seen",
            "last_seen",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: CreativeImage) -> str:
        path = reverse("api:creative-image-file", args=[image.pk])
        return _absolute(self.context.get("request"), path)


class CreativeImageSlotSerializer(serializers.ModelSerializer):
    """An image inside a creative, with what the describe models wrote about it."""

    image = CreativeImageSerializer()
    descriptions = ImageDescriptionSerializer(source="image.descriptions", many=True)

    class Meta:
        model = CreativeImageSlot
        fields = ["position", "image", "descriptions"]


class CreativeSerializer(serializers.ModelSerializer):
    images = CreativeImageSlotSerializer(source="image_slots", many=True)

    class Meta:
        model = Creative
        fields = [
            "id",
            "platform",
            "external_id",
            "name",
            "headline",
            "body",
            "call_to_action",
            "landing_url",
            "images",
            "created_at",
        ]


class DailyMetricSerializer(serializers.ModelSerializer):
    """One ad's day. Money in micros of the account's currency: ads of one creative may run
    in accounts with different currencies, so rows are never summed here."""

    ad_id = serializers.IntegerField(source="ad.id")
    ad_name = serializers.CharField(source="ad.name")
    campaign_id = serializers.IntegerField(source="ad.campaign.id")
    campaign_name = serializers.CharField(source="ad.campaign.name")
    objective = serializers.CharField(source="ad.campaign.objective")
    platform = serializers.CharField(source="ad.campaign.account.platform.slug")
    currency = serializers.CharField(source="ad.campaign.account.currency")

    class Meta:
        model = DailyMetric
        fields = [
            "date",
            "ad_id",
            "ad_name",
            "campaign_id",
            "campaign_name",
            "objective",
            "platform",
            "currency",
            "impressions",
            "reach",
            "clicks",
            "link_clicks",
            "spend_micros",
            "conversions",
            "conversion_value_micros",
            "leads",
            "video_views",
            "engagements",
        ]


class DailyMetricPageSerializer(serializers.Serializer):
    """A page of daily rows, as every paginated list answers."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DailyMetricSerializer(many=True)


# --- jobs, images, batches -----------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")


class ModelJobSerializer(serializers.ModelSerializer):
    progress = ProgressSerializer(source="*")
    finished = serializers.BooleanField(read_only=True)
    elapsed_seconds = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = ModelJob
        fields = [
            "id",
            "kind",
            "status",
            "status_label",
            "finished",
            "stage",
            "brief",
            "attempts",
            "max_attempts",
            "queued_at",
            "started_at",
            "finished_at",
            "elapsed_seconds",
            "queue_wait_seconds",
            "load_seconds",
            "inference_seconds",
            "error",
            "how_to_fix",
            "progress",
        ]

    def get_elapsed_seconds(self, job: ModelJob) -> float:
        return round(job.elapsed.total_seconds(), 3)


class GeneratedImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The PNG file: opens with the API's credentials (token or session)."
    )

    class Meta:
        model = GeneratedImage
        fields = [
            "id",
            "batch",
            "index",
            "seed",
            "width",
            "height",
            "url",
            "picked",
            "picked_at",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: GeneratedImage) -> str:
        path = reverse("api:image-file", args=[image.pk])
        return _absolute(self.context.get("request"), path)


class ImageBatchSerializer(serializers.ModelSerializer):
    job = ModelJobSerializer()
    style_preset = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    prompt_version = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="The prompt version's number; empty until the job has written one.",
    )
    seeds = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    images = GeneratedImageSerializer(many=True)

    class Meta:
        model = ImageBatch
        fields = [
            "id",
            "job",
            "prompt_version",
            "style_preset",
            "image_count",
            "guidance_scale",
            "steps",
            "width",
            "height",
            "seed",
            "seeds",
            "from_sketch",
            "model_id",
            "images",
            "created_at",
        ]


# --- briefs --------------------------------------------------------------------------------


class PromptVersionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    restored_from = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="The number of the version this one restores; null for a new text.",
    )

    class Meta:
        model = PromptVersion
        fields = [
            "number",
            "positive",
            "negative",
            "rationale",
            "rationale_es",
            "source",
            "model_id",
            "fallback_reason",
            "author",
            "restored_from",
            "created_at",
        ]
        extra_kwargs = {
            "rationale": {
                "help_text": "Why the prompt reads as it does, in English (the language "
                "model's own words when it wrote the prompt)."
            },
            "rationale_es": {
                "help_text": "The same in Spanish; empty on older versions whose rationale "
                "exists only in English."
            },
        }


class GuardrailRemovalSerializer(serializers.Serializer):
    words = serializers.CharField(help_text="The words removed, as they were sent.")
    rule = serializers.CharField(help_text="The rule that removed them, in the request's language.")
    concept = serializers.CharField(help_text="The rule's key: minors, competitors, rates…")


class PromptEditSerializer(PromptVersionSerializer):
    """The saved edit and what the guardrails removed from it (issue 14 item 3)."""

    removed = serializers.SerializerMethodField()
    removed_message = serializers.SerializerMethodField(
        help_text="One sentence naming each removal and its rule; empty when none."
    )

    class Meta(PromptVersionSerializer.Meta):
        fields = [*PromptVersionSerializer.Meta.fields, "removed", "removed_message"]

    @extend_schema_field(GuardrailRemovalSerializer(many=True))
    def get_removed(self, version: PromptVersion) -> list[dict[str, str]]:
        return removal_items(getattr(version, "guardrail_removals", ()))

    def get_removed_message(self, version: PromptVersion) -> str:
        return removal_message(getattr(version, "guardrail_removals", ()))


class BriefReferenceSerializer(serializers.ModelSerializer):
    image = CreativeImageSerializer()
    reason = serializers.SerializerMethodField(help_text="The reason in the request's language.")

    class Meta:
        model = BriefReference
        fields = [
            "id",
            "image",
            "order",
            "pinned",
            "excluded",
            "metric",
            "estimate",
            "interval_low",
            "interval_high",
            "weight",
            "platforms",
            "figures",
            "reason",
            "reason_es",
            "reason_en",
        ]

    def get_reason(self, reference: BriefReference) -> str:
        return reference.reason_for(page_language())


class ShareLinkSerializer(serializers.ModelSerializer):
    """A link without its secret: only its first characters, to tell links apart."""

    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    is_active = serializers.BooleanField(read_only=True)
    is_expired = serializers.BooleanField(read_only=True)
    is_revoked = serializers.BooleanField(read_only=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "brief",
            "agency",
            "token_hint",
            "show_figures",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "is_active",
            "is_expired",
            "is_revoked",
            "view_count",
            "last_viewed_at",
        ]


class ShareLinkCreatedSerializer(ShareLinkSerializer):
    url = serializers.URLField(
        read_only=True, help_text="The agency's address. Shown once: only its hash is stored."
    )

    class Meta(ShareLinkSerializer.Meta):
        fields = [*ShareLinkSerializer.Meta.fields, "url"]


class BriefNodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Node
        fields = ["slug", "name"]


class BriefSummarySerializer(serializers.ModelSerializer):
    node = BriefNodeSerializer()
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    style_preset = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:brief-detail")

    class Meta:
        model = Brief
        fields = [
            "id",
            "url",
            "title",
            "node",
            "objective",
            "owner",
            "style_preset",
            "ranked_at",
            "created_at",
            "updated_at",
        ]


class BriefSerializer(BriefSummarySerializer):
    """A brief with everything hanging off it, read from rows the view prefetched."""

    references = BriefReferenceSerializer(many=True)
    latest_prompt = serializers.SerializerMethodField()
    batches = ImageBatchSerializer(many=True)
    picks = serializers.SerializerMethodField(help_text="The picked images, newest batch first.")
    share_links = ShareLinkSerializer(many=True)
    can_change = serializers.SerializerMethodField()

    class Meta(BriefSummarySerializer.Meta):
        fields = [
            *BriefSummarySerializer.Meta.fields,
            "description",
            "audience",
            "tone",
            "image_count",
            "guidance_scale",
            "seed",
            "ranking_rule_version",
            "ranking",
            "can_change",
            "references",
            "latest_prompt",
            "batches",
            "picks",
            "share_links",
        ]

    @extend_schema_field(PromptVersionSerializer(allow_null=True))
    def get_latest_prompt(self, brief: Brief) -> dict | None:
        # max() over the prefetched versions: brief.latest_prompt would query again.
        versions = list(brief.prompt_versions.all())
        if not versions:
            return None
        return PromptVersionSerializer(max(versions, key=lambda v: v.number)).data

    @extend_schema_field(GeneratedImageSerializer(many=True))
    def get_picks(self, brief: Brief) -> list[dict]:
        picked = [image for batch in brief.batches.all() for image in batch.images.all()]
        return GeneratedImageSerializer(
            [image for image in picked if image.picked], many=True, context=self.context
        ).data

    def get_can_change(self, brief: Brief) -> bool:
        return can_change(self.context["request"].user, brief)
