"""Admin for ranking rules: what makes a piece good for a node and objective, and its history.

Saving goes through `ranking_rule_save`, which records a version; the change page previews
what the saved rule picks now, and its Preview button what the edited, unsaved form would pick
beside it, so a lead sees the effect of a change before any brief does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns import figures
from campaigns.models import RULE_FIELDS, Node, RankingRule, RankingRuleVersion
from campaigns.models.ranking_rules import MinimumsMode, rationale_to_store
from campaigns.ranking.selectors import NoRuleError, StaleRankingError, brief_ranking
from campaigns.rollups import RollupError
from campaigns.services import ranking_rule_save
from creatives.models import CreativeImage, PlatformSlug
from yenni_site.language import in_page_language


class RankingRuleForm(forms.ModelForm):
    platforms = forms.MultipleChoiceField(
        # Capitalised like the model fields' labels, which the admin capitalises itself.
        label=capfirst(_("platforms counted")),
        choices=PlatformSlug.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to count every platform."),
    )

    class Meta:
        model = RankingRule
        # The settings a version records are exactly the ones a lead edits.
        fields = RULE_FIELDS
        widgets = {"minimums_mode": forms.RadioSelect}

    def clean(self):
        data = super().clean()
        for name in ("minimums_mode", "min_share_of_median"):
            if data.get(name) in (None, ""):
                data[name] = getattr(self.instance, name)
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A page opened before the kinds of minimums existed posts neither field: it keeps the
        # rule's own values rather than failing on fields the lead never saw.
        for name in ("minimums_mode", "min_share_of_median"):
            self.fields[name].required = False
        if self.instance.pk:
            # A seeded rationale reads in the page's language; clean_rationale stores it back.
            self.initial["rationale"] = self.instance.rationale_in_page_language

    def clean_rationale(self) -> str:
        return rationale_to_store(self.cleaned_data["rationale"])


class RankingRuleVersionInline(admin.TabularInline):
    model = RankingRuleVersion
    extra = 0
    can_delete = False
    fields = ("version", "changed_at", "changed_by", "changes_summary")
    readonly_fields = fields
    ordering = ("-version",)
    verbose_name_plural = _("history of changes")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description=_("what changed"))
    def changes_summary(self, version: RankingRuleVersion) -> str:
        if not version.changes:
            return gettext("Created")
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            (
                (_field_label(name), _plain(name, before), _plain(name, after))
                for name, (before, after) in version.changes.items()
            ),
        )


def _field_label(name: str) -> str:
    """The field as the form names it ("número de referencias"), not its code ("top_n")."""
    try:
        return str(RankingRule._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field a later release removed: its code is all there is
        return name


def _plain(name: str, value) -> str:
    """A recorded value as the page's language writes it: a choice by its label, a seeded
    rationale translated, Yes and No in words."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(_plain(name, v) for v in value)
    if name == "rationale":
        return RankingRule(rationale=value).rationale_in_page_language
    return str(_choice_labels(name).get(value, value))


def _choice_labels(name: str) -> dict:
    if name == "platforms":
        return dict(PlatformSlug.choices)
    try:
        return dict(RankingRule._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:
        return {}


@admin.register(RankingRule)
class RankingRuleAdmin(admin.ModelAdmin):
    form = RankingRuleForm
    # What a rule picks, fitting a 1366-px laptop; who changed it and when are in its versions.
    list_display = (
        "scope",
        "objective",
        "metric",
        "direction",
        "gates",
        "window_days",
        "top_n",
        "active",
        "version",
    )
    list_filter = ("objective", "metric", "active", ("node", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("node", "updated_by")
    readonly_fields = ("version", "direction", "updated_by", "updated_at")
    inlines = [RankingRuleVersionInline]
    change_form_template = "admin/campaigns/rankingrule/change_form.html"
    fieldsets = (
        (None, {"fields": ("node", "objective", "active", "rationale")}),
        (
            _("What makes a piece good"),
            {
                "fields": (
                    "metric",
                    "direction",
                    "tie_break_metric",
                    "within_platform",
                    "half_life_days",
                )
            },
        ),
        (
            _("Evidence a piece needs before it can rank"),
            {
                "fields": (
                    "minimums_mode",
                    "min_share_of_median",
                    "min_impressions",
                    "min_spend",
                    "min_clicks",
                    "min_conversions",
                )
            },
        ),
        (_("Scope"), {"fields": ("window_days", "platforms", "top_n")}),
        (_("Version"), {"fields": ("version", "updated_by", "updated_at")}),
    )

    @admin.display(description=_("node"), ordering="node__name")
    def scope(self, rule: RankingRule) -> str:
        return rule.node.name if rule.node_id else gettext("Default for every node")

    @admin.display(description=_("direction"))
    def direction(self, rule: RankingRule) -> str:
        if not rule.metric:
            return "—"
        return gettext("lower is better") if rule.lower_is_better else gettext("higher is better")

    @admin.display(description=_("minimums"))
    def gates(self, rule: RankingRule) -> str:
        if rule.minimums_mode == MinimumsMode.SCALED:
            return gettext("%(share)s %% of the median impressions") % {
                "share": rule.min_share_of_median
            }
        parts = []
        if rule.min_impressions:
            parts.append(figures.count_of_impressions(rule.min_impressions))
        if rule.min_spend:
            parts.append(gettext("%(n)s spend") % {"n": figures.number(rule.min_spend)})
        if rule.min_clicks:
            parts.append(figures.count_of_clicks(rule.min_clicks))
        if rule.min_conversions:
            parts.append(figures.count_of_conversions(rule.min_conversions))
        return ", ".join(parts) or "—"

    def save_model(self, request, obj, form, change):
        ranking_rule_save(rule=obj, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        rule = self.get_object(request, object_id)
        if rule is not None and request.method == "POST" and PREVIEW in request.POST:
            return self._preview_unsaved(request, rule, object_id, form_url, extra_context)
        if rule is not None:
            extra_context["preview"] = _rule_preview(request, rule)
        return super().change_view(request, object_id, form_url, extra_context)

    def _preview_unsaved(
        self, request: HttpRequest, rule: RankingRule, object_id, form_url, extra_context
    ) -> HttpResponse:
        """Rank with the posted form as if saved, beside the saved rule, and save nothing.

        A form that does not validate goes through the admin's own POST path, which shows the
        errors and saves nothing either. A valid one is applied to an unsaved copy of the rule;
        the page is then drawn as a plain GET of that copy, so the form keeps the lead's edits.
        """
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        form = self.get_form(request, rule, change=True)(
            request.POST, request.FILES, instance=self.get_object(request, object_id)
        )
        if not form.is_valid():
            return super().change_view(request, object_id, form_url, extra_context)
        edited = form.save(commit=False)
        extra_context["preview"] = _rule_preview(request, rule)
        extra_context["edited_preview"] = _rule_preview(request, edited)
        # The CSRF check has run; from here the page is the change form of the edited copy.
        request.method = "GET"
        request._ranking_rule_edited = edited
        return super().change_view(request, object_id, form_url, extra_context)

    def get_object(self, request, object_id, from_field=None):
        edited = getattr(request, "_ranking_rule_edited", None)
        if edited is not None and str(edited.pk) == str(object_id):
            return edited
        return super().get_object(request, object_id, from_field)


# The name of the change form's Preview button.
PREVIEW = "_preview"


def _rule_preview(request: HttpRequest, rule: RankingRule) -> dict:
    """Rank with `rule` now (the saved one, or an edited copy never saved), for one node."""
    nodes = [rule.node] if rule.node_id else list(Node.objects.filter(active=True))
    if not nodes:
        return {"error": gettext("There are no nodes yet.")}
    wanted = request.GET.get("preview_node")
    node = next((n for n in nodes if n.slug == wanted), nodes[0])
    try:
        ranking = brief_ranking(node=node, objective=rule.objective, rule=rule)
    except (NoRuleError, RollupError, StaleRankingError) as exc:
        return {"error": str(exc), "node": node, "nodes": nodes}
    images = CreativeImage.objects.in_bulk([ref.image_id for ref in ranking.references])
    rows = [
        {
            "reference": ref,
            "image": images.get(ref.image_id),
            "reason": in_page_language(es=ref.reason_es, en=ref.reason_en),
        }
        for ref in ranking.references
    ]
    return {
        "node": node,
        "nodes": nodes if not rule.node_id else [],
        "ranking": ranking,
        "rows": rows,
        "message": in_page_language(es=ranking.message_es, en=ranking.message_en),
    }
