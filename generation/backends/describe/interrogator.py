"""Describe images the CLIP-interrogator way: a BLIP caption, then CLIP picks labels.

InterrogatorDescriber does it on plain transformers (BLIP + CLIP, PIL image processors), so it
runs wherever transformers does, CPU included. ClipInterrogatorDescriber hands the work to the
clip-interrogator package, which needs open-clip and torchvision and so only installs on GPU
machines with a CUDA torch.

torch and transformers are imported inside the functions that use them: importing this module
(the web process does, to list backends) must not load a model library.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from creatives.vocabulary import orientation_of
from generation.backends.base import BackendUnavailable, Description, ModelRole
from generation.backends.describe.labels import (
    COLOUR_TEMPERATURE,
    DEPTHS,
    GROUP_ORDER,
    LABELS,
    PEOPLE_COUNTS,
    TEXT_OVERLAY_LEVELS,
    display_label,
    prompt_for,
    top_k,
)
from generation.backends.runtime import resolve_device, resolve_dtype, resolve_weights

if TYPE_CHECKING:
    from PIL import Image

# Both models read small squares (BLIP-large 384 px, CLIP ViT-L 224 or 336 px), so a big photo is
# shrunk cheaply (JPEG draft, integer box reduce) to no less than this on its short side before
# the processors' own careful resize; decoding 24 megapixels for that would waste time and memory.
MIN_DECODE_SIDE = 448

# BLIP-large is known to start captions with made-up words ("arafed woman…"); they mean nothing
# and would leak into prompts.
CAPTION_ARTIFACTS = re.compile(r"\b(?:arafed|araffe|arafe|araffed|arrafed|arafly)\b\s*", re.I)


def depth_from(config: ModelRole) -> str:
    depth = (config.options or {}).get("depth") or "medium"
    if depth not in DEPTHS:
        raise ValueError(f"Unknown describe depth {depth!r}; expected one of {', '.join(DEPTHS)}.")
    return depth


def load_image(index: int, data: bytes) -> Image.Image:
    """Decode one uploaded image to RGB, the right way up; ValueError names the bad one."""
    from PIL import Image, ImageOps

    try:
        image = Image.open(io.BytesIO(data))
        # JPEG only: decode at 1/2, 1/4 or 1/8 scale straight away, still at least this big.
        image.draft("RGB", (MIN_DECODE_SIDE, MIN_DECODE_SIDE))
        image.load()
        # Before any reduce: the copies it makes keep neither the EXIF orientation nor the
        # transparency entry.
        image = ImageOps.exif_transpose(image)  # phone photos are stored sideways
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            # Transparent PNG ads: put them on white, as a page shows them, not on the black
            # that dropping the alpha channel leaves.
            rgba = image.convert("RGBA")
            image = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image.alpha_composite(rgba)
        image = image.convert("RGB")
        factor = min(image.size) // MIN_DECODE_SIDE
        if factor >= 2:
            image = image.reduce(factor)
    except Exception as exc:  # Pillow raises several kinds for broken or unknown data
        raise ValueError(f"Image {index} is not a readable image: {exc}") from exc
    return image


def _and_join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class InterrogatorDescriber:
    """BLIP writes the caption; CLIP picks the best label of each group for the chosen depth.

    options: clip_model (id or folder), clip_revision, depth ("fast" | "medium" | "detailed"),
    batch_size (images per model call), caption_max_tokens, caption_beams.
    """

    usable = True
    how_to_fix = ""

    def __init__(self, config: ModelRole) -> None:
        options = config.options or {}
        self.config = config
        self.depth = depth_from(config)
        self.groups = [group for group in GROUP_ORDER if group in DEPTHS[self.depth]]
        self.batch_size = max(1, int(options.get("batch_size") or 16))
        self.caption_max_tokens = int(options.get("caption_max_tokens") or 30)
        self.caption_beams = max(1, int(options.get("caption_beams") or 3))
        clip_id = str(options.get("clip_model") or "")

        self.weights_path = resolve_weights(
            config.model, config.revision, what="caption model weights"
        )
        self.clip_weights_path = resolve_weights(
            clip_id, str(options.get("clip_revision") or ""), what="CLIP model weights"
        )

        import torch
        from transformers import (
            AutoImageProcessor,
            AutoTokenizer,
            BlipForConditionalGeneration,
            CLIPModel,
        )

        self.device = resolve_device(config.device)
        self.dtype = resolve_dtype(config.dtype, self.device)
        # PIL image processors everywhere: the torchvision ones cannot import beside a CPU
        # torch, and one implementation gives the same labels on the CPU and the GPU workers.
        # Loaded one by one: a processor-level backend="pil" would also reach the tokenizer.
        self.caption_images = AutoImageProcessor.from_pretrained(
            str(self.weights_path), backend="pil"
        )
        self.caption_tokenizer = AutoTokenizer.from_pretrained(str(self.weights_path))
        self.captioner = BlipForConditionalGeneration.from_pretrained(
            str(self.weights_path), dtype=self.dtype
        )
        self.captioner.to(self.device).eval()

        self.clip_images = AutoImageProcessor.from_pretrained(
            str(self.clip_weights_path), backend="pil"
        )
        self.clip_tokenizer = AutoTokenizer.from_pretrained(str(self.clip_weights_path))
        self.clip = CLIPModel.from_pretrained(str(self.clip_weights_path), dtype=self.dtype)
        self.clip.to(self.device).eval()

        with torch.inference_mode():
            self.logit_scale = float(self.clip.logit_scale.exp().float().item())
            self.label_embeddings = self._embed_labels()

        # Hub ids as they are; local folders by name, so the id fits the database column.
        self.model_id = f"{_short(config.model)}+{_short(clip_id)}@{self.depth}"[:255]
        count = sum(len(LABELS[group]) for group in self.groups)
        self.status_message = (
            f"BLIP captions, CLIP ranks {count} labels in {len(self.groups)} groups "
            f"({self.depth} depth) on {self.device}."
        )

    # --- loading ---------------------------------------------------------------------------

    @staticmethod
    def _pooled(output: Any):
        # transformers 5 returns a model output holding the projection in pooler_output;
        # earlier versions returned the tensor itself.
        return output if hasattr(output, "norm") else output.pooler_output

    def _embed_labels(self) -> dict[str, Any]:
        """Every label's text embedding for this depth, unit length, computed once at load.

        The labels never change, so embedding them per image would repeat the same work for
        every image of every batch.
        """
        import torch

        prompts = [prompt_for(group, label) for group in self.groups for label in LABELS[group]]
        tokens = self.clip_tokenizer(prompts, padding=True, truncation=True, return_tensors="pt")
        tokens = {key: value.to(self.device) for key, value in tokens.items()}
        features = self._pooled(self.clip.get_text_features(**tokens)).float()
        features = torch.nn.functional.normalize(features, dim=-1)
        embeddings: dict[str, Any] = {}
        start = 0
        for group in self.groups:
            embeddings[group] = features[start : start + len(LABELS[group])]
            start += len(LABELS[group])
        return embeddings

    # --- describing ------------------------------------------------------------------------

    def describe(self, images: list[bytes]) -> list[Description]:
        # Decode everything first, so a broken image fails the call before any model runs.
        pictures = [load_image(index, data) for index, data in enumerate(images)]
        results: list[Description] = []
        for start in range(0, len(pictures), self.batch_size):
            chunk = pictures[start : start + self.batch_size]
            captions = self._captions(chunk)
            probabilities = self._rank(chunk)
            for row, picture in enumerate(chunk):
                scores = {group: probabilities[group][row] for group in self.groups}
                results.append(self._description(captions[row], scores, picture))
        return results

    def _captions(self, pictures: list[Image.Image]) -> list[str]:
        import torch

        pixels = self.caption_images(images=pictures, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            output = self.captioner.generate(
                pixel_values=pixels.to(self.device, self.dtype),
                max_new_tokens=self.caption_max_tokens,
                num_beams=self.caption_beams,
            )
        # Each row starts with BLIP's [DEC] start token; drop it rather than trust every
        # checkpoint's tokenizer to call it special.
        texts = self.caption_tokenizer.batch_decode(output[:, 1:], skip_special_tokens=True)
        return [" ".join(CAPTION_ARTIFACTS.sub("", text).split()) for text in texts]

    def _rank(self, pictures: list[Image.Image]) -> dict[str, list[list[float]]]:
        """Per group, per image: the softmax over the group's labels, in LABELS order."""
        import torch

        pixels = self.clip_images(images=pictures, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            features = self._pooled(
                self.clip.get_image_features(pixel_values=pixels.to(self.device, self.dtype))
            ).float()
            features = torch.nn.functional.normalize(features, dim=-1)
            ranked: dict[str, list[list[float]]] = {}
            for group in self.groups:
                # CLIP's own temperature turns cosine similarities into a sharp distribution.
                logits = self.logit_scale * features @ self.label_embeddings[group].T
                ranked[group] = logits.softmax(dim=-1).cpu().tolist()
        return ranked

    def _description(
        self, caption: str, scores: dict[str, list[float]], picture: Image.Image
    ) -> Description:
        chosen: dict[str, list[tuple[str, float]]] = {}
        for group in self.groups:
            order = sorted(range(len(scores[group])), key=lambda i: (-scores[group][i], i))
            keep = order[: top_k(self.depth, group)]
            chosen[group] = [(LABELS[group][i], round(scores[group][i], 4)) for i in keep]

        def first(group: str) -> str | None:
            return display_label(chosen[group][0][0]) if group in chosen else None

        def every(group: str) -> list[str]:
            return [display_label(label) for label, _ in chosen.get(group, [])]

        count = PEOPLE_COUNTS[chosen["people_count"][0][0]] if "people_count" in chosen else None
        # CLIP always picks some age range; with nobody in the picture it means nothing.
        age_range = first("age_range") if count else None
        attributes: dict[str, Any] = {"subject": caption}
        if "composition" in chosen:
            attributes["composition"] = first("composition")
        if "setting" in chosen:
            attributes["setting"] = first("setting")
        if count is not None:
            attributes["people"] = {"count": count, "age_range": age_range}
        if "lighting" in chosen:
            attributes["lighting"] = first("lighting")
        if "palette" in chosen:
            attributes["palette"] = every("palette")
            attributes["temperature"] = COLOUR_TEMPERATURE[chosen["palette"][0][0]]
        if "mood" in chosen:
            attributes["mood"] = ", ".join(every("mood"))
        if "style" in chosen:
            attributes["style"] = first("style")
        if "medium" in chosen:
            attributes["medium"] = first("medium")
        if "text_overlay" in chosen:
            attributes["text_overlay"] = TEXT_OVERLAY_LEVELS[chosen["text_overlay"][0][0]]
        attributes["orientation"] = orientation_of(*picture.size)
        attributes["scores"] = {group: chosen[group][0][1] for group in self.groups}
        # Every kept label with its probability; palette and mood keep three at "detailed".
        attributes["ranked"] = {
            group: [[display_label(label), p] for label, p in chosen[group]]
            for group in self.groups
        }

        phrases: list[str] = []
        for group in self.groups:
            if group == "age_range" and age_range is None:
                continue
            if group == "palette":
                phrases.append(f"{_and_join(every('palette'))} palette")
            elif group == "mood":
                phrases.append(f"{_and_join(every('mood'))} mood")
            else:
                phrases.append(display_label(chosen[group][0][0]))
        text = ", ".join([caption, *phrases] if caption else phrases)
        return Description(text=text, attributes=attributes, model_id=self.model_id, text_es="")


# --- the clip-interrogator package ---------------------------------------------------------

CLIP_INTERROGATOR_MISSING = "The clip-interrogator package is not installed here."
CLIP_INTERROGATOR_FIX = (
    "It needs torchvision and open-clip-torch, which only install cleanly with a CUDA torch: "
    "pip install -e '.[gpu]' on a GPU worker, or use YENNI_DESCRIBE_BACKEND=interrogator "
    "(the same method on transformers)."
)
# The package's own modes; "best" is left out: it is many times slower for little gain here.
CLIP_INTERROGATOR_METHODS = {
    "fast": "interrogate_fast",
    "medium": "interrogate_classic",
    "detailed": "interrogate_classic",
}


class ClipInterrogatorDescriber:
    """The clip-interrogator package (open-clip + BLIP), for GPU workers where it installs.

    options: clip_model_name (open-clip "ViT-L-14/openai"), caption_model_name ("blip-large"),
    depth, and config: extra clip_interrogator.Config fields (cache_path, chunk_size…).
    """

    usable = True
    how_to_fix = ""

    def __init__(self, config: ModelRole) -> None:
        options = config.options or {}
        self.config = config
        self.depth = depth_from(config)
        try:
            from clip_interrogator import Config, Interrogator
        except ImportError as exc:
            raise BackendUnavailable(CLIP_INTERROGATOR_MISSING, CLIP_INTERROGATOR_FIX) from exc
        except Exception as exc:  # e.g. a CPU torch beside torchvision: "torchvision::nms"
            raise BackendUnavailable(
                f"The clip-interrogator package is installed but does not import: {exc}",
                CLIP_INTERROGATOR_FIX,
            ) from exc

        self.device = resolve_device(config.device)
        clip_name = str(options.get("clip_model_name") or "ViT-L-14/openai")
        caption_name = str(options.get("caption_model_name") or "blip-large")
        fields = {
            "clip_model_name": clip_name,
            "caption_model_name": caption_name,
            "device": self.device,
            "quiet": True,
            **dict(options.get("config") or {}),  # an operator's own Config fields win
        }
        self.interrogator = Interrogator(Config(**fields))
        self.method = CLIP_INTERROGATOR_METHODS[self.depth]
        self.model_id = f"clip-interrogator:{caption_name}+{clip_name}@{self.depth}"
        self.weights_path = ""  # the package keeps its own weights
        self.status_message = f"clip-interrogator ({self.method}) on {self.device}."

    def describe(self, images: list[bytes]) -> list[Description]:
        pictures = [load_image(index, data) for index, data in enumerate(images)]
        run = getattr(self.interrogator, self.method)
        results = []
        for picture in pictures:  # the package takes one image at a time
            text = " ".join(str(run(picture)).split())
            attributes = {
                "subject": text,
                "orientation": orientation_of(*picture.size),
                "source": "clip-interrogator",
            }
            results.append(Description(text=text, attributes=attributes, model_id=self.model_id))
        return results


def _short(model: str) -> str:
    path = Path(model).expanduser()
    return path.name if path.is_dir() else model
