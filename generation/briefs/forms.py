"""Forms of the brief pages: they check what the analyst typed; services do the work."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.models import Node
from creatives.imaging import ImageRejected, read_image_facts
from generation.backends.base import SEED_MAX
from generation.models import (
    DESCRIPTION_MIN_LENGTH,
    SKETCH_EXTENSIONS,
    Brief,
    PromptVersion,
    ShareLink,
    StylePreset,
)
from generation.sharing.links import MAX_DAYS
from yenni_site.http import IdField
from yenni_site.language import page_language

SKETCH_MAX_BYTES = 10 * 1024 * 1024
SKETCH_MIN_SIDE = 64
SKETCH_FORMATS = set(SKETCH_EXTENSIONS)
# A sketch is a drawing, not a poster: this many pixels is plenty and keeps decoding cheap.
SKETCH_MAX_PIXELS = 40_000_000


def _model_limits(model: type[models.Model], name: str) -> dict:
    """The form field's limits and default as the model field declares them: their one source."""
    field = model._meta.get_field(name)
    limits = {"max_length": field.max_length} if field.max_length else {}
    for validator in field.validators:  # the field's own range first, the column's after it
        if isinstance(validator, MinValueValidator):
            limits.setdefault("min_value", validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            limits.setdefault("max_value", validator.limit_value)
    if field.has_default():
        # Shown as people write it: 7, not 7.0.
        default = field.default
        whole = isinstance(default, float) and default.is_integer()
        limits["initial"] = int(default) if whole else default
    return limits


# Offered under the tone field; the analyst may write anything else.
TONE_SUGGESTIONS = (
    _("warm and close"),
    _("cheerful"),
    _("trustworthy"),
    _("inspiring"),
    _("modern"),
    _("sober and elegant"),
    _("youthful"),
)


class YenniForm(forms.Form):
    """Labels without Django's trailing colon: they sit above their fields."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class StylePresetChoiceField(forms.ModelChoiceField):
    """Active presets, named in the language of the request that renders the form."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            queryset=StylePreset.objects.filter(active=True),
            required=False,
            empty_label=_("No preset"),
            label=_("Style preset"),
            **kwargs,
        )

    def label_from_instance(self, obj: StylePreset) -> str:
        return obj.name_for(page_language())


def _image_count_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Number of images"),
        **_model_limits(Brief, "image_count"),
        error_messages={
            "min_value": _("Ask for at least one image."),
            "max_value": _("Ask for eight images at most."),
            "required": _("Say how many images you want (1 to 8)."),
            "invalid": _("Write a whole number of images, from 1 to 8."),
        },
    )


def _guidance_field() -> forms.FloatField:
    return forms.FloatField(
        label=_("Guidance scale (CFG)"),
        **_model_limits(Brief, "guidance_scale"),
        help_text=_("How closely the image follows the prompt: 5–9 suits most briefs."),
        error_messages={
            "min_value": _("The guidance scale goes from 1 to 20."),
            "max_value": _("The guidance scale goes from 1 to 20."),
            "required": _("Give a guidance scale from 1 to 20."),
            "invalid": _("Write the guidance scale as a number, for example 7 or 7.5."),
        },
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )


def _seed_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Seed"),
        required=False,
        **{**_model_limits(Brief, "seed"), "max_value": SEED_MAX},
        help_text=_("Leave it empty for a new random seed; the same seed repeats the images."),
        error_messages={
            "min_value": _("The seed is a whole number from 0 to 2147483647."),
            "max_value": _("The seed is a whole number from 0 to 2147483647."),
            "invalid": _("The seed is a whole number from 0 to 2147483647."),
        },
    )


class BriefForm(YenniForm):
    node = forms.ModelChoiceField(
        label=_("Business unit"),
        queryset=Node.objects.filter(active=True),
        empty_label=_("Choose a business unit"),
        error_messages={
            "required": _("Choose the business unit the campaign is for."),
            "invalid_choice": _("Choose one of the business units in the list."),
        },
    )
    objective = forms.ChoiceField(
        label=_("Objective"),
        choices=[("", _("Choose an objective")), *Brief._meta.get_field("objective").choices],
        error_messages={
            "required": _("Choose the campaign's objective."),
            "invalid_choice": _("Choose one of the objectives in the list."),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        **_model_limits(Brief, "title"),
        error_messages={
            "required": _("Give the brief a short title."),
            "max_length": _("Keep the title under 120 characters (it has %(show_value)d)."),
        },
    )
    description = forms.CharField(
        label=_("What the campaign is about"),
        min_length=DESCRIPTION_MIN_LENGTH,
        **_model_limits(Brief, "description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The product, the offer and the idea the images must carry."),
        error_messages={
            "required": _("Say what the campaign is about."),
            "min_length": _("Say a little more: at least 10 characters (it has %(show_value)d)."),
            "max_length": _("Keep it under 2000 characters (it has %(show_value)d)."),
        },
    )
    audience = forms.CharField(
        label=_("Audience"),
        **_model_limits(Brief, "audience"),
        required=False,
        help_text=_("Who should see the ads, for example: young entrepreneurs in Medellín."),
        error_messages={"max_length": _("Keep the audience under 300 characters.")},
    )
    tone = forms.CharField(
        label=_("Tone"),
        **_model_limits(Brief, "tone"),
        required=False,
        help_text=_("Pick a suggestion or write your own."),
        widget=forms.TextInput(attrs={"list": "tone-suggestions", "autocomplete": "off"}),
        error_messages={"max_length": _("Keep the tone under 300 characters.")},
    )
    style_preset = StylePresetChoiceField()
    image_count = _image_count_field()
    guidance_scale = _guidance_field()
    seed = _seed_field()
    sketch = forms.FileField(
        label=_("Sketch"),
        required=False,
        help_text=_("Optional: a JPEG, PNG or WebP drawing of the layout, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": _("The sketch file is empty.")},
    )
    sketch_strength = forms.FloatField(
        label=_("Distance from the sketch"),
        **_model_limits(Brief, "sketch_strength"),
        help_text=_("Low keeps close to the sketch; 1 only borrows its colours and layout."),
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        error_messages={
            "min_value": _("The distance from the sketch goes from 0.05 to 1."),
            "max_value": _("The distance from the sketch goes from 0.05 to 1."),
            "required": _("Give a distance from the sketch between 0.05 and 1."),
            "invalid": _("Write the distance from the sketch as a number, for example 0.6."),
        },
    )

    tone_suggestions = TONE_SUGGESTIONS

    def clean_sketch(self) -> UploadedFile | None:
        sketch = self.cleaned_data.get("sketch")
        if not sketch:
            return None
        if sketch.size > SKETCH_MAX_BYTES:
            raise forms.ValidationError(
                _("The sketch is %(size)s MB; upload one of 10 MB or less."),
                code="too_big",
                params={"size": figures.number(sketch.size / 1024 / 1024, 1)},
            )
        data = sketch.read()
        sketch.seek(0)
        try:
            # Opening the image for real: a renamed PDF or a truncated file fails here, not in
            # the image model an hour later.
            facts = read_image_facts(data, max_pixels=SKETCH_MAX_PIXELS)
        except ImageRejected as exc:
            raise forms.ValidationError(
                _("The sketch is not an image Yenni can read. Upload a JPEG, PNG or WebP file."),
                code="not_an_image",
            ) from exc
        if facts.format not in SKETCH_FORMATS:
            raise forms.ValidationError(
                _("The sketch is a %(format)s file; upload a JPEG, PNG or WebP image."),
                code="format",
                params={"format": facts.format},
            )
        if min(facts.width, facts.height) < SKETCH_MIN_SIDE:
            raise forms.ValidationError(
                _(
                    "The sketch is %(width)d×%(height)d pixels; it needs at least 64 pixels on "
                    "each side."
                ),
                code="too_small",
                params={"width": facts.width, "height": facts.height},
            )
        return sketch


class PromptForm(YenniForm):
    positive = forms.CharField(
        label=_("Prompt"),
        **_model_limits(PromptVersion, "positive"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("The prompt cannot be empty."),
            "max_length": _("Keep the prompt under 2000 characters (it has %(show_value)d)."),
        },
    )
    negative = forms.CharField(
        label=_("Negative prompt"),
        **_model_limits(PromptVersion, "negative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the images must not show. The brand's forbidden terms stay in it."),
        error_messages={
            "max_length": _(
                "Keep the negative prompt under 2000 characters (it has %(show_value)d)."
            ),
        },
    )


class GenerateForm(YenniForm):
    seed = _seed_field()
    guidance_scale = _guidance_field()
    style_preset = StylePresetChoiceField()
    image_count = _image_count_field()


class ShareForm(YenniForm):
    agency = forms.CharField(
        label=_("Agency"),
        **_model_limits(ShareLink, "agency"),
        error_messages={
            "required": _("Name the agency the link is for."),
            "max_length": _("Keep the agency's name under 120 characters."),
        },
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={
            "min_value": _("A link lasts between 1 and 90 days."),
            "max_value": _("A link lasts between 1 and 90 days."),
            "required": _("Say how many days the link lasts (1 to 90)."),
            "invalid": _("Write the days as a whole number from 1 to 90."),
        },
    )
    show_figures = forms.BooleanField(
        label=_("Show the references' figures to the agency"),
        required=False,
        help_text=_("Off: the agency sees the images and the reasons, not the results."),
    )
    # Sent by the confirmation the page shows when no image is picked (see brief_share).
    confirm_no_picks = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.YENNI_SHARE_DAYS


# The brief page's buttons. Their values come from the page, not from typing: a value outside
# these is a tampered or scripted request, answered 400 (or 404 for an id) by the view.


class ReferenceActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(name, name) for name in ("pin", "unpin", "exclude", "include")]
    )


class PickForm(forms.Form):
    picked = forms.TypedChoiceField(
        choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true"
    )


class BoardPinForm(forms.Form):
    """The brief a board's pieces are pinned on, from the board page's select."""

    brief = IdField()
