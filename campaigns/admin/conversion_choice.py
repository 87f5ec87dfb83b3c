"""The part of an ad account's admin page where a lead picks what counts as a conversion.

For conversions and for leads, a lead keeps the platform's default or ticks types from the
ones the account's history holds (each with its totals), the ones its platform documents, and,
on Meta, each conversion's name without a prefix ("purchase", read once whatever prefix Meta
reports it under). A name from anywhere else is refused. Saving a changed choice queues a
recount (campaigns/conversion_recount.py); the admin class does that.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.conversions import (
    ConversionChoiceError,
    meta_concept,
    names_clean,
    platform_default,
    types_allowed,
)
from campaigns.models import AdAccount
from campaigns.selectors import TYPES_SEEN_DAYS, ConversionTypeSeen, conversion_types_seen

DEFAULT, CHOSEN = "default", "chosen"


class ConversionTypesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": _(
            "“%(value)s” is not a conversion type of this account: its history never "
            "reported it and its platform does not document it. Tick types from the list "
            "(a type appears once a sync has read it)."
        ),
    }


class AdAccountForm(forms.ModelForm):
    """An account, with its choice of counted types when it already exists."""

    conversions_source = forms.ChoiceField(
        label=_("conversions count"), widget=forms.RadioSelect, required=False
    )
    conversion_types = ConversionTypesField(
        label=_("conversion types"),
        required=False,
        help_text=_("Their values add up to the conversion value."),
    )
    leads_source = forms.ChoiceField(
        label=_("leads count"), widget=forms.RadioSelect, required=False
    )
    lead_types = ConversionTypesField(label=_("lead types"), required=False)

    class Meta:
        model = AdAccount
        fields = (
            "platform",
            "external_id",
            "name",
            "currency",
            "time_zone",
            "default_node",
            "active",
            "conversion_types",
            "lead_types",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = self.instance
        if account.pk is None or "conversion_types" not in self.fields:
            return
        platform = account.platform.slug
        try:
            default = platform_default(platform)
            self._default_error = ""
        except ConversionChoiceError as exc:
            default, self._default_error = None, str(exc)
        seen = conversion_types_seen(account=account)
        current = [*(account.conversion_types or []), *(account.lead_types or [])]
        self._allowed = types_allowed(
            platform=platform, seen=[t.name for t in seen], current=current
        )
        choices = _type_choices(
            platform=platform, currency=account.currency, seen=seen, allowed=self._allowed
        )
        for kind, own, default_types in (
            ("conversions", account.conversion_types, default and default.conversions),
            ("leads", account.lead_types, default and default.leads),
        ):
            field_name = "conversion_types" if kind == "conversions" else "lead_types"
            self.fields[field_name].choices = choices
            self.fields[f"{kind}_source"].choices = [
                (DEFAULT, _default_label(default_types, self._default_error)),
                (CHOSEN, gettext("The types ticked below (none ticked: count nothing)")),
            ]
            self.initial[f"{kind}_source"] = DEFAULT if own is None else CHOSEN
            # Ticked: what counts now, so a lead sees the default before changing it.
            self.initial[field_name] = list(own if own is not None else default_types or [])

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None or "conversion_types" not in self.fields:
            return cleaned
        for kind, field_name in (("conversions", "conversion_types"), ("leads", "lead_types")):
            if cleaned.get(f"{kind}_source") == CHOSEN:
                cleaned[field_name] = list(names_clean(cleaned.get(field_name)))
            elif self._default_error:
                self.add_error(f"{kind}_source", self._default_error)
            else:
                cleaned[field_name] = None
        return cleaned


def _default_label(types: tuple[str, ...] | None, error: str) -> str:
    if error:
        return gettext("The platform default — unusable: %(error)s") % {"error": error}
    return gettext("The platform default: %(types)s") % {
        "types": ", ".join(types) if types else gettext("nothing")
    }


def _type_label(name: str, *, count: float, days: int, value_micros: int, currency: str) -> str:
    """A seen type: "purchase — 3 en 2 días-anuncio de los últimos 90 días, por COP 1.500"."""
    return ngettext(
        "%(name)s — %(count)s on %(days)s ad-day of the last %(window)s days, worth %(value)s",
        "%(name)s — %(count)s on %(days)s ad-days of the last %(window)s days, worth %(value)s",
        days,
    ) % {
        "name": name,
        "count": figures.number(count, 0 if float(count).is_integer() else 1),
        "days": figures.number(days),
        "window": TYPES_SEEN_DAYS,
        "value": figures.money(value_micros / 1_000_000, currency),
    }


def _type_choices(
    *, platform: str, currency: str, seen: list[ConversionTypeSeen], allowed: set[str]
) -> list[tuple[str, str]]:
    """Every name a lead may tick, with what the history says of it: seen types by volume
    (on Meta each conversion's prefix-free name first), then the others by name."""
    by_name = {t.name: t for t in seen}
    ordered: list[str] = []
    for t in seen:
        if platform == "meta" and meta_concept(t.name) in allowed:
            ordered.append(meta_concept(t.name))
        ordered.append(t.name)
    ordered += sorted(allowed - set(ordered), key=str.casefold)
    choices = []
    for name in dict.fromkeys(ordered):
        found = by_name.get(name)
        if found is not None and found.days:
            label = _type_label(
                name,
                count=found.count,
                days=found.days,
                value_micros=found.value_micros,
                currency=currency,
            )
        elif found is not None:
            label = gettext(
                "%(name)s — in this account's history, none in the last %(window)s days"
            ) % {
                "name": name,
                "window": TYPES_SEEN_DAYS,
            }
        else:
            label = gettext("%(name)s — not reported in this account's history") % {"name": name}
        if platform == "meta" and any(meta_concept(n) == name != n for n in by_name):
            label = gettext(
                "%(label)s; counted once, whichever prefix Meta reports it under "
                "(omni_, offsite_conversion.fb_pixel_…)"
            ) % {"label": label}
        choices.append((name, label))
    return choices
