"""API views: check who asks, validate, call the service the web page calls, answer JSON.

Briefs a user cannot see answer 404 (their existence is not revealed); briefs they can see but
not change answer 403 on every action. Querysets join or prefetch what the serializers read,
so a page of results costs a fixed number of queries.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from campaigns.models import DailyMetric, Node
from creatives.models import Creative, CreativeImage, CreativeImageSlot, ImageDescription
from creatives.serving import stored_file_response
from generation.api import inputs
from generation.api import serializers as s
from generation.api.permissions import AUTHENTICATION_CLASSES, UsesBriefs, brief_change_check
from generation.backends.availability import image_generation
from generation.briefs import services
from generation.briefs.permissions import briefs_visible_to
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
from generation.sharing import links as sharing
from generation.sharing.selectors import shared_images
from yenni_site.roles import is_lead

# Ids in addresses: digits only, at most 18 so any of them fits a 64-bit column; anything else
# is a JSON 404 from api_not_found before it gets near the database.
ID = "[0-9]{1,18}"

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: `detail` says why, `fields` says where."),
    401: OpenApiResponse(description="Not signed in: send `Authorization: Token …`."),
    403: OpenApiResponse(description="Not an analyst or lead, or not the brief's owner."),
    404: OpenApiResponse(description="No such object, or one this user cannot see."),
}


# --- errors --------------------------------------------------------------------------------


def _validation_body(detail) -> dict:
    """Every error has a `detail` sentence; validation errors add `fields` with the messages."""
    if isinstance(detail, dict):
        fields = dict(detail)
        general = [str(message) for message in fields.pop("non_field_errors", [])]
        if general:
            sentence = " ".join(general)
        else:
            sentence = _("Some fields are not valid: {names}.").format(names=", ".join(fields))
        return {"detail": sentence, "fields": fields}
    messages = detail if isinstance(detail, list) else [detail]
    return {"detail": " ".join(str(message) for message in messages), "fields": {}}


def api_exception_handler(exc, context):
    """DRF's handler, plus model validation errors as 400 and one shape for field errors."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            messages = exc.message_dict
            # A model's clean() files its own errors under "__all__"; DRF's name for them.
            if "__all__" in messages:
                messages["non_field_errors"] = messages.pop("__all__")
            exc = ValidationError(messages)
        else:
            exc = ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = _validation_body(exc.detail)
    return response


@csrf_exempt  # a POST to a wrong address is a 404, not a CSRF failure page
def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """JSON 404 for any address under /api/ that no endpoint serves."""
    detail = _("No API endpoint at this address. The endpoints are listed at {docs}.").format(
        docs=reverse("api:docs")
    )
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            # Django's slash redirect cannot help here: the catch-all matches first.
            detail = _("Addresses end with a slash: {path}/").format(path=request.path)
    return JsonResponse({"detail": detail}, status=404)


class ApiMixin:
    """Token or session authentication; analysts and leads only; errors as JSON."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [UsesBriefs]
    # JSON bodies only: a form cannot say null, a number or a boolean, so form posts would be
    # read by other rules than the JSON the schema describes (a missing box means false).
    parser_classes = [JSONParser]
    lookup_value_regex = ID

    def get_exception_handler(self):
        return api_exception_handler


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _query(serializer_class, request: Request) -> dict:
    # A plain dict, not the QueryDict: DRF reads a QueryDict like a submitted HTML form, where
    # a missing boolean means "false" (an unticked box) instead of "not given".
    return _valid(serializer_class, request.query_params.dict())


# --- image files ---------------------------------------------------------------------------


class FileNegotiation(BaseContentNegotiation):
    """A file answers with its own type whatever Accept says; an error is always JSON.

    DRF would otherwise answer 406 to `Accept: image/*` (no renderer speaks images) and could
    not render a 401 or 404 for such a client. The file itself bypasses the renderers.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


FILE_RESPONSES = {
    (200, "image/*"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The image's bytes (PNG, JPEG, WebP or GIF)."
    ),
    302: OpenApiResponse(
        description="On S3 storage: `Location` is a signed address of the file that works "
        "without credentials until it expires (YENNI_S3_URL_EXPIRE_SECONDS)."
    ),
    401: ERROR_RESPONSES[401],
    403: ERROR_RESPONSES[403],
    404: ERROR_RESPONSES[404],
}

# Both kinds of file are stored under a name that never changes content (catalog images by
# their SHA-256, generated images once per row), so a client may keep them; only privately.
CATALOG_FILE_CACHE = "private, max-age=31536000, immutable"
GENERATED_FILE_CACHE = "private, max-age=86400"


def _file_action(summary: str):
    """A GET (and HEAD) `file/` action on one object, documented as a binary answer."""

    def decorate(method):
        method = action(
            detail=True,
            methods=["get"],
            content_negotiation_class=FileNegotiation,
            pagination_class=None,
        )(method)
        return extend_schema(
            summary=summary,
            description="Send the same credentials as for the rest of the API. The answer is "
            "the file with its own Content-Type whatever Accept asks for; errors are JSON.",
            responses=FILE_RESPONSES,
        )(method)

    return decorate


# --- querysets -----------------------------------------------------------------------------


def _batches() -> QuerySet[ImageBatch]:
    return (
        ImageBatch.objects.select_related("job", "style_preset", "prompt_version")
        .prefetch_related(Prefetch("images", GeneratedImage.objects.order_by("index")))
        .order_by("-created_at", "-id")
    )


def _with_everything(briefs: QuerySet[Brief]) -> QuerySet[Brief]:
    """What BriefSerializer reads, in one query per relation whatever the brief holds."""
    return briefs.prefetch_related(
        Prefetch("references", BriefReference.objects.select_related("image").order_by("order")),
        Prefetch(
            "prompt_versions", PromptVersion.objects.select_related("author", "restored_from")
        ),
        Prefetch("batches", _batches()),
        Prefetch("share_links", ShareLink.objects.select_related("created_by")),
    )


def _jobs_visible_to(user) -> QuerySet[ModelJob]:
    if is_lead(user):
        return ModelJob.objects.all()
    return ModelJob.objects.filter(brief__in=briefs_visible_to(user).values("pk"))


# --- briefs --------------------------------------------------------------------------------

PROMPT_JOB_RESPONSE = OpenApiResponse(
    response=s.BriefSerializer,
    description="A language model is writing the new prompt: Location names its job.",
)


@extend_schema(tags=["briefs"])
class BriefViewSet(ApiMixin, viewsets.GenericViewSet):
    """Briefs: list, open, read; everything else through the actions below."""

    serializer_class = s.BriefSerializer

    def get_queryset(self) -> QuerySet[Brief]:
        briefs = briefs_visible_to(self.request.user)
        return _with_everything(briefs) if self.action == "retrieve" else briefs

    def get_serializer_class(self):
        return s.BriefSummarySerializer if self.action == "list" else s.BriefSerializer

    def _detail(self, brief: Brief) -> dict:
        fresh = _with_everything(briefs_visible_to(self.request.user)).get(pk=brief.pk)
        return s.BriefSerializer(fresh, context=self.get_serializer_context()).data

    def _brief_to_change(self) -> Brief:
        brief = self.get_object()
        brief_change_check(self.request.user, brief)
        return brief

    @extend_schema(
        summary="List the briefs this user can see, newest first",
        parameters=[inputs.BriefFilterInput],
        responses={200: s.BriefSummarySerializer(many=True), **ERROR_RESPONSES},
    )
    def list(self, request: Request) -> Response:
        filters = _query(inputs.BriefFilterInput, request)
        briefs = self.get_queryset()
        if "node" in filters:
            briefs = briefs.filter(node=filters["node"])
        if "objective" in filters:
            briefs = briefs.filter(objective=filters["objective"])
        page = self.paginate_queryset(briefs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Open a brief: rank its references and write its first prompt",
        request=inputs.BriefCreateInput,
        responses={201: s.BriefSerializer, **ERROR_RESPONSES},
    )
    def create(self, request: Request) -> Response:
        data = _valid(inputs.BriefCreateInput, request.data)
        brief = services.brief_create(owner=request.user, **data)
        location = reverse("api:brief-detail", args=[brief.pk])
        return Response(
            self._detail(brief), status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    @extend_schema(
        summary="A brief with its references, prompt, batches, picks and share links",
        responses={200: s.BriefSerializer, **ERROR_RESPONSES},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Rank again (pins and exclusions kept) and write a new prompt",
        request=None,
        responses={200: s.BriefSerializer, 202: PROMPT_JOB_RESPONSE, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def rank(self, request: Request, pk: str) -> Response:
        brief = self._brief_to_change()
        job = services.brief_refresh(brief)
        if job is None:
            return Response(self._detail(brief))
        location = reverse("api:job-detail", args=[job.pk])
        return Response(
            self._detail(brief), status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )

    @extend_schema(
        summary="Pin or exclude one past image for this brief",
        description="Any image of the catalog may be pinned, ranked or not. Call rank/ "
        "afterwards for a new prompt that follows the change.",
        parameters=[OpenApiParameter("image_id", int, OpenApiParameter.PATH)],
        request=inputs.ReferenceMarkInput,
        responses={200: s.BriefReferenceSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path=f"references/(?P<image_id>{ID})")
    def references(self, request: Request, pk: str, image_id: str) -> Response:
        brief = self._brief_to_change()
        if not CreativeImage.objects.filter(pk=image_id).exists():
            raise NotFound(_("There is no image with id {id}.").format(id=image_id))
        data = _valid(inputs.ReferenceMarkInput, request.data)
        reference = services.brief_reference_mark(brief, image_id=int(image_id), **data)
        reference = BriefReference.objects.select_related("image").get(pk=reference.pk)
        return Response(s.BriefReferenceSerializer(reference, context={"request": request}).data)

    @extend_schema(
        methods=["GET"],
        summary="Every prompt version, newest first",
        responses={200: s.PromptVersionSerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Save the analyst's edit as a new prompt version",
        description="The brand guidelines still apply: forbidden terms are removed and the "
        "required ones added, so the saved text may differ from what was sent; `removed` says "
        "which words the guardrails took out and which rule removed each.",
        request=inputs.PromptEditInput,
        responses={201: s.PromptEditSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def prompt(self, request: Request, pk: str) -> Response:
        if request.method == "GET":
            brief = self.get_object()
            versions = brief.prompt_versions.select_related("author", "restored_from").order_by(
                "-number"
            )
            return Response(s.PromptVersionSerializer(versions, many=True).data)
        brief = self._brief_to_change()
        data = _valid(inputs.PromptEditInput, request.data)
        version = services.prompt_version_edit(brief, author=request.user, **data)
        # With what the guardrails removed from the sent text, and which rule (issue 14 item 3).
        return Response(s.PromptEditSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rewrite the prompt from the references as a new version",
        description="When the current version is the analyst's hand edit (an edit or a "
        "restore), the answer is 409 and nothing is written unless `confirm` is true: the edit "
        "would stop being the current prompt (it stays in the list and can be restored). With "
        "a language model the answer is 202 and Location names the writing job.",
        request=inputs.PromptRewriteInput,
        responses={
            201: s.PromptVersionSerializer,
            202: s.ModelJobSerializer,
            409: OpenApiResponse(
                description="The current version is a hand edit: send confirm=true. "
                "`current_version` is its number."
            ),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["post"], url_path="prompt/rewrite")
    def prompt_rewrite(self, request: Request, pk: str) -> Response:
        brief = self._brief_to_change()
        data = _valid(inputs.PromptRewriteInput, request.data)
        try:
            job = services.prompt_rewrite(brief, confirm=data["confirm"])
        except services.HandEditWouldBeReplaced as asked:
            detail = _("{warning} Send confirm=true to rewrite.").format(warning=str(asked))
            return Response(
                {"detail": detail, "current_version": asked.version.number},
                status=status.HTTP_409_CONFLICT,
            )
        if job is not None:
            location = reverse("api:job-detail", args=[job.pk])
            return Response(
                s.ModelJobSerializer(job, context=self.get_serializer_context()).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": location},
            )
        version = brief.prompt_versions.select_related("author", "restored_from").latest("number")
        return Response(s.PromptVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Restore an older prompt version as a new version",
        description="Copies the old version's texts into a new version (history is never "
        "rewritten) with `restored_from` set; the brand guidelines and the 77-token window of "
        "today apply to it as to an edit. 409 for the current version.",
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH)],
        request=None,
        responses={
            201: s.PromptVersionSerializer,
            409: OpenApiResponse(description="That version is already the current prompt."),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["post"], url_path=f"prompt/versions/(?P<number>{ID})/restore")
    def prompt_restore(self, request: Request, pk: str, number: str) -> Response:
        brief = self._brief_to_change()
        if not brief.prompt_versions.filter(number=number).exists():
            raise NotFound(_("This brief has no prompt version {number}.").format(number=number))
        try:
            version = services.prompt_version_restore(
                brief, number=int(number), author=request.user
            )
        except services.AlreadyCurrent as current:
            return Response({"detail": str(current)}, status=status.HTTP_409_CONFLICT)
        version = PromptVersion.objects.select_related("author", "restored_from").get(pk=version.pk)
        return Response(s.PromptVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Queue a batch of images; poll the job until it finishes",
        description="Missing fields take the brief's values. Answers at once with the batch "
        "and its job; Location names the job. When this server has no image model (the "
        'default install) the answer is 409 with `code` "no_image_model" and nothing is '
        "queued: retrying does not help until an operator adds one (docs/models.md).",
        request=inputs.GenerateInput,
        responses={
            202: s.ImageBatchSerializer,
            409: OpenApiResponse(
                description="No image model on this server: `detail` says so, `how_to_fix` "
                "is what an operator does. Nothing was queued."
            ),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, pk: str) -> Response:
        brief = self._brief_to_change()
        data = _valid(inputs.GenerateInput, request.data)
        state = image_generation()
        if not state.active:
            # A batch queued now could only end "No model available": say so before queuing.
            # 409 (the request conflicts with the server's state), not 503: a 5xx is logged as
            # a server error (and mailed to admins) for an expected, lasting condition, and
            # tells clients to retry, which cannot help. `code` tells it from the 409s that ask
            # for confirm=true.
            return Response(
                {
                    "detail": _(
                        "No image model is installed on this server, so no images can be "
                        "generated. An operator adds one as docs/models.md says; meanwhile the "
                        "prompt can be copied into any image tool."
                    ),
                    "code": "no_image_model",
                    "how_to_fix": _(state.operator_note),
                },
                status=status.HTTP_409_CONFLICT,
            )
        batch = services.batch_queue(brief, **data)
        # Read again: with a synchronous broker the job may already have finished.
        batch = _batches().get(pk=batch.pk)
        location = reverse("api:job-detail", args=[batch.job_id])
        return Response(
            s.ImageBatchSerializer(batch, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )

    @extend_schema(
        summary="The brief's generated images, newest batch first",
        parameters=[inputs.ImageFilterInput],
        responses={200: s.GeneratedImageSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def images(self, request: Request, pk: str) -> Response:
        brief = self.get_object()
        filters = _query(inputs.ImageFilterInput, request)
        images = GeneratedImage.objects.filter(batch__brief=brief).order_by(
            "-batch__created_at", "-batch_id", "index"
        )
        if filters["picked"] is not None:
            images = images.filter(picked=filters["picked"])
        return Response(
            s.GeneratedImageSerializer(images, many=True, context={"request": request}).data
        )

    @extend_schema(
        methods=["GET"],
        summary="The brief's share links (without their secrets)",
        responses={200: s.ShareLinkSerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Create a read-only link for an agency",
        description="The answer holds the link's address, the only time it is shown: Yenni "
        "stores a hash of its secret, never the secret. When no image of the brief is picked "
        'the answer is 409 with `code` "no_picked_images" and no link is made, unless '
        "`confirm` is true (as the web page asks first).",
        request=inputs.ShareLinkInput,
        responses={
            201: s.ShareLinkCreatedSerializer,
            409: OpenApiResponse(
                description="No image of the brief is picked: pick some, or send confirm=true."
            ),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="share-links", pagination_class=None)
    def share_links(self, request: Request, pk: str) -> Response:
        if request.method == "GET":
            brief = self.get_object()
            links = brief.share_links.select_related("created_by")
            return Response(s.ShareLinkSerializer(links, many=True).data)
        brief = self._brief_to_change()
        data = _valid(inputs.ShareLinkInput, request.data)
        if not data.pop("confirm") and not shared_images(brief).exists():
            # The agency would open a page with no image: asked first, as the web form does.
            return Response(
                {
                    "detail": _(
                        "No image of this brief is picked, so the agency would see the brief "
                        "and its references without any image. Pick images first, or send "
                        "confirm=true to share anyway."
                    ),
                    "code": "no_picked_images",
                },
                status=status.HTTP_409_CONFLICT,
            )
        try:
            link, token = sharing.share_link_create(brief=brief, created_by=request.user, **data)
        except ValueError as exc:  # the service's own checks (an agency of only spaces)
            raise ValidationError(str(exc)) from exc
        link.url = request.build_absolute_uri(reverse("share_page", args=[token]))
        return Response(s.ShareLinkCreatedSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["jobs"])
class ModelJobViewSet(ApiMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A background model run: poll it after generate/."""

    serializer_class = s.ModelJobSerializer

    def get_queryset(self) -> QuerySet[ModelJob]:
        return _jobs_visible_to(self.request.user)

    @extend_schema(
        summary="A job's status, stage, attempts, timings and, when it failed, what to do",
        responses={200: s.ModelJobSerializer, **ERROR_RESPONSES},
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)


@extend_schema(tags=["briefs"])
class GeneratedImageViewSet(ApiMixin, viewsets.GenericViewSet):
    serializer_class = s.GeneratedImageSerializer

    def get_queryset(self) -> QuerySet[GeneratedImage]:
        visible = briefs_visible_to(self.request.user).values("pk")
        return GeneratedImage.objects.filter(batch__brief__in=visible).select_related(
            "batch__brief"
        )

    @extend_schema(
        summary="Pick an image for the agency, or unpick it",
        request=inputs.PickInput,
        responses={200: s.GeneratedImageSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def pick(self, request: Request, pk: str) -> Response:
        image = self.get_object()
        brief_change_check(request.user, image.batch.brief)
        data = _valid(inputs.PickInput, request.data)
        image = services.generated_image_pick(image, picked=data["picked"])
        return Response(self.get_serializer(image).data)

    @_file_action("Download a generated image (a brief this user can see)")
    def file(self, request: Request, pk: str) -> HttpResponse:
        image = self.get_object()
        return stored_file_response(
            image.file.name, cache_control=GENERATED_FILE_CACHE, storage=image.file.storage
        )


@extend_schema(tags=["briefs"])
class ShareLinkViewSet(ApiMixin, viewsets.GenericViewSet):
    serializer_class = s.ShareLinkSerializer

    def get_queryset(self) -> QuerySet[ShareLink]:
        visible = briefs_visible_to(self.request.user).values("pk")
        return ShareLink.objects.filter(brief__in=visible).select_related("brief", "created_by")

    @extend_schema(
        summary="Revoke a share link: its page answers 410 Gone from now on",
        request=None,
        responses={200: s.ShareLinkSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        link = self.get_object()
        brief_change_check(request.user, link.brief)
        return Response(self.get_serializer(sharing.share_link_revoke(link)).data)


# --- catalog -------------------------------------------------------------------------------


@extend_schema(tags=["catalog"])
class CreativeViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """The ad history's creatives: copy, images and what the models wrote about them."""

    serializer_class = s.CreativeSerializer

    def get_queryset(self) -> QuerySet[Creative]:
        if self.action == "metrics":
            return Creative.objects.all()
        slots = CreativeImageSlot.objects.select_related("image").prefetch_related(
            Prefetch("image__descriptions", ImageDescription.objects.order_by("backend", "pk"))
        )
        return Creative.objects.prefetch_related(
            Prefetch("image_slots", slots.order_by("position"))
        ).order_by("-id")

    @extend_schema(
        summary="Creatives, newest first",
        parameters=[
            OpenApiParameter(
                "platform", str, enum=[slug for slug, _label in inputs.PLATFORM_CHOICES]
            )
        ],
        responses={200: s.CreativeSerializer(many=True), **ERROR_RESPONSES},
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        filters = _query(inputs.CreativeFilterInput, request)
        creatives = self.get_queryset()
        if "platform" in filters:
            creatives = creatives.filter(platform=filters["platform"])
        page = self.paginate_queryset(creatives)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="A creative with its images and their descriptions",
        responses={200: s.CreativeSerializer, **ERROR_RESPONSES},
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="The creative's results per ad and day, oldest first",
        parameters=[inputs.MetricRangeInput],
        responses={200: s.DailyMetricPageSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"])
    def metrics(self, request: Request, pk: str) -> Response:
        creative = self.get_object()
        period = _query(inputs.MetricRangeInput, request)
        rows = DailyMetric.objects.filter(ad__creative=creative).select_related(
            "ad__campaign__account__platform"
        )
        if period.get("start"):
            rows = rows.filter(date__gte=period["start"])
        if period.get("end"):
            rows = rows.filter(date__lte=period["end"])
        page = self.paginate_queryset(rows.order_by("date", "ad_id"))
        return self.get_paginated_response(s.DailyMetricSerializer(page, many=True).data)


@extend_schema(tags=["catalog"])
class CreativeImageViewSet(ApiMixin, viewsets.GenericViewSet):
    """The ad history's image files, for every analyst and lead (as the library pages)."""

    queryset = CreativeImage.objects.only("pk", "file")
    serializer_class = s.CreativeImageSerializer

    @_file_action("Download an image of the ad history (a reference or a creative's image)")
    def file(self, request: Request, pk: str) -> HttpResponse:
        image = self.get_object()
        return stored_file_response(image.file.name, cache_control=CATALOG_FILE_CACHE)


@extend_schema(tags=["catalog"])
class NodeViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Business units. Only active ones are accepted for a new brief."""

    serializer_class = s.NodeSerializer
    queryset = Node.objects.order_by("name")
    pagination_class = None

    @extend_schema(summary="Business units (nodes), by name")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class StylePresetViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Style presets. Only active ones are accepted for a brief or a batch."""

    serializer_class = s.StylePresetSerializer
    queryset = StylePreset.objects.all()
    pagination_class = None

    @extend_schema(summary="Style presets, in the leads' order")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)
