"""What the API accepts: input serializers that only validate; the views pass their data on.

The views hand `validated_data` to a service as keyword arguments, as the web views hand a
form's cleaned data. Inputs built on a model (ModelInput) read its fields' limits, so the API
refuses exactly what the web forms refuse.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Node, Objective
from creatives.models import PlatformSlug
from generation.backends.base import SEED_MAX
from generation.models import DESCRIPTION_MIN_LENGTH, Brief, PromptVersion, ShareLink, StylePreset
from generation.sharing.links import MAX_DAYS

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@extend_schema_field({"type": "string", "pattern": SLUG.pattern, "maxLength": 50})
class ActiveSlugField(serializers.Field):
    """An active node or style preset named by its slug, with a message that says which."""

    default_error_messages = {
        "does_not_exist": _("There is no active {kind} with the slug “{value}”."),
        "invalid": _("Give the {kind}'s slug as text (letters, digits, - and _)."),
    }

    def __init__(self, *, kind: str, queryset, **kwargs) -> None:
        self.kind = kind
        self.queryset = queryset
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        # "" means "none" for an optional preset, as the web form's empty choice does.
        if data == "" and self.allow_null:
            return (True, None)
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        # Checking the shape first keeps odd input (NUL bytes, huge strings) out of the query.
        if not isinstance(data, str) or len(data) > 50 or not SLUG.match(data):
            self.fail("invalid", kind=self.kind)
        found = self.queryset.filter(slug=data, active=True).first()
        if found is None:
            self.fail("does_not_exist", kind=self.kind, value=data)
        return found

    def to_representation(self, value) -> str:
        return value.slug


class ModelInput(serializers.ModelSerializer):
    """Input checked with its model fields' limits (lengths, choices, ranges); it saves nothing.

    Fields are named by their keys, as the other inputs are, not by the model's verbose names.
    """

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs.pop("label", None)
        return field_class, kwargs


PLATFORM_CHOICES = PlatformSlug.choices


class CreativeFilterInput(serializers.Serializer):
    platform = serializers.ChoiceField(choices=PLATFORM_CHOICES, required=False)


class MetricRangeInput(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD.")
    end = serializers.DateField(required=False, help_text="Last day, YYYY-MM-DD.")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end comes before the start.")]})
        return attrs


class ImageFilterInput(serializers.Serializer):
    picked = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only picked (or unpicked) ones."
    )


class PickInput(serializers.Serializer):
    picked = serializers.BooleanField(help_text="true to keep the image for the agency.")


class GenerateInput(ModelInput):
    """A batch's settings within the brief's limits; a missing one takes the brief's value."""

    style_preset = ActiveSlugField(
        kind=_("style preset"),
        queryset=StylePreset.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Brief
        fields = ["seed", "guidance_scale", "style_preset", "image_count"]
        extra_kwargs = {"seed": {"max_value": SEED_MAX}}


class PromptEditInput(ModelInput):
    """The analyst's prompt, within a prompt version's lengths."""

    class Meta:
        model = PromptVersion
        fields = ["positive", "negative"]
        extra_kwargs = {"negative": {"default": ""}}


class PromptRewriteInput(serializers.Serializer):
    confirm = serializers.BooleanField(
        default=False,
        help_text="Rewrite even though the current version is the analyst's hand edit (it stays "
        "in the version list and can be restored).",
    )


class ReferenceMarkInput(serializers.Serializer):
    pinned = serializers.BooleanField(required=False)
    excluded = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("Send pinned, excluded or both."))
        if attrs.get("pinned") and attrs.get("excluded"):
            raise serializers.ValidationError(
                _("A reference cannot be pinned and excluded at once.")
            )
        return attrs


def _share_days() -> int:
    return settings.YENNI_SHARE_DAYS


class ShareLinkInput(ModelInput):
    """A link for an agency: who it is for, how long it lasts, whether it shows figures."""

    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DAYS,
        default=_share_days,
        help_text="How long the link works; YENNI_SHARE_DAYS when left out.",
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text="Share even though no image of the brief is picked (the agency then sees the "
        "brief and its references without images); without it such a request answers 409.",
    )

    class Meta:
        model = ShareLink
        fields = ["agency", "days", "show_figures", "confirm"]
        extra_kwargs = {"show_figures": {"default": False}}


class BriefFilterInput(serializers.Serializer):
    node = serializers.SlugField(required=False, max_length=50)
    objective = serializers.ChoiceField(choices=Objective.choices, required=False)

    def validate_node(self, slug: str) -> Node:
        node = Node.objects.filter(slug=slug).first()
        if node is None:
            raise serializers.ValidationError(
                _("There is no node with the slug “{slug}”.").format(slug=slug)
            )
        return node


class BriefCreateInput(ModelInput):
    """A new brief's fields with the model's limits: the same ones the web form reads."""

    node = ActiveSlugField(kind=_("node"), queryset=Node.objects.all())
    style_preset = ActiveSlugField(
        kind=_("style preset"),
        queryset=StylePreset.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )

    class Meta:
        model = Brief
        fields = [
            "node",
            "objective",
            "title",
            "description",
            "audience",
            "tone",
            "style_preset",
            "image_count",
            "guidance_scale",
            "seed",
        ]
        extra_kwargs = {
            "description": {"min_length": DESCRIPTION_MIN_LENGTH},
            "seed": {"max_value": SEED_MAX},
        }

    def build_standard_field(self, field_name, model_field):
        # A field left out takes the model's default, so the schema shows it.
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if kwargs.get("required") is False:
            del kwargs["required"]
            kwargs["default"] = model_field.get_default()
        return field_class, kwargs
