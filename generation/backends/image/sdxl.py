"""Stable Diffusion XL with diffusers: text to image, sketch to image, optional refiner.

Seeds. Every image has its own seed and its own `torch.Generator`, so image i depends only on
its seed, never on how many images were made with it: the starting noise of each image (and,
for ancestral schedulers, the noise added at each step) is drawn from that image's generator
alone. A batch of 4 seeded s..s+3 gives the same pictures as four single runs, which is what
lets an analyst remake one image of a batch, and what lets the out-of-memory retry below run
the batch in smaller pieces without changing the result.

Out of memory. Four 1024×1024 SDXL images in one call need far more GPU memory than one. When
the pipeline runs out, the backend frees the allocator's cache and tries once more in batches
of half the size; if that fails too it raises `OutOfMemory` with what to change.

Imports. torch and diffusers are imported inside the functions that use them, never at module
import, so the web process (which only names this class in settings) never loads them.
"""

from __future__ import annotations

import io
import math
import secrets
import threading
import time
from pathlib import Path

from generation.backends.base import (
    SEED_MAX,
    BackendUnavailable,
    GeneratedImage,
    GenerateRequest,
    GenerateResult,
    ModelRole,
    OutOfMemory,
)
from generation.backends.runtime import (
    INSTALL_HINT,
    empty_device_cache,
    is_out_of_memory,
    resolve_device,
    resolve_dtype,
    resolve_weights,
)

# Scheduler names a request may use -> diffusers class name (imported when used).
SCHEDULERS = {
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "dpm++2m": "DPMSolverMultistepScheduler",
    "ddim": "DDIMScheduler",
}

# The SDXL "ensemble of experts" split: the base removes the first 80 % of the noise and the
# refiner, trained on low noise levels, does the rest (diffusers' documented default).
REFINER_SPLIT = 0.8

# torch.compile modes accepted by the `compile` option; `true` means REDUCE_OVERHEAD because
# "max-autotune" spends many minutes tuning on the first call of every new image size.
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
DEFAULT_COMPILE_MODE = "reduce-overhead"


def torch_generators(seeds: list[int], device: str) -> list:
    """One `torch.Generator` per seed, on the device the noise is drawn on.

    A list (rather than one generator for the batch) is what makes each image reproducible on
    its own: diffusers draws image i's noise from generator i only.
    """
    import torch

    return [torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds]


def draw_seeds(count: int) -> list[int]:
    """`count` consecutive seeds from a random start (image i of a batch uses start + i)."""
    start = secrets.randbelow(SEED_MAX + 1 - count)
    return [start + i for i in range(count)]


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    # zlib level 1: a 1024² PNG encodes several times faster than at the default level 6 for
    # files about a fifth larger; at four images per batch that is a visible part of a GPU run.
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def decode_sketch(data: bytes, width: int, height: int):
    """The analyst's sketch as an RGB Pillow image of exactly width×height."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("The sketch is not an image file Pillow can read.") from exc
    # Phone photos of a paper sketch carry their rotation in EXIF; apply it before resizing.
    image = ImageOps.exif_transpose(image).convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return image


def _dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _has_safetensors(path: Path) -> bool:
    return any(path.rglob("*.safetensors"))


class SdxlGenerator:
    """Loads an SDXL pipeline once (per worker process) and makes batches of images with it."""

    usable = True
    how_to_fix = ""

    def __init__(self, config: ModelRole) -> None:
        started = time.perf_counter()
        try:
            import diffusers  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            raise BackendUnavailable(
                f"The sdxl image backend needs {exc.name or exc}, which is not installed here.",
                INSTALL_HINT,
            ) from exc

        self.config = config
        options = dict(config.options or {})
        self.weights_path = resolve_weights(
            config.model, config.revision, what="image model weights"
        )
        local = Path(config.model).expanduser()
        self.model_id = local.name if local.is_dir() else config.model
        if not (self.weights_path / "model_index.json").is_file():
            raise BackendUnavailable(
                f"{self.weights_path} is not a diffusers pipeline folder (no model_index.json).",
                "Point the image model setting at an SDXL checkpoint saved with save_pretrained "
                "or at its Hugging Face id.",
            )
        self.device = resolve_device(config.device)
        self.dtype = resolve_dtype(config.dtype, self.device)
        on_cuda = self.device.startswith("cuda")
        notes: list[str] = []

        self.pipe, load_kwargs = self._load_base(options, on_cuda, notes)
        self._compile_unet(options.get("compile", False), on_cuda, notes)

        self.refiner = None
        refiner_option = str(options.get("refiner") or "")
        if refiner_option:
            self.refiner = self._load_refiner(refiner_option, load_kwargs, on_cuda)
            notes.append(f"refiner from {refiner_option}")

        self.default_scheduler = str(options.get("scheduler") or "")
        if self.default_scheduler:
            self._scheduler_class(self.default_scheduler)  # a bad setting fails at load
        # The checkpoints' own schedulers. Every call builds a fresh scheduler from one of these
        # configs, since schedulers keep per-run state (timesteps, step index).
        self._base_scheduler = self.pipe.scheduler
        self._refiner_scheduler = self.refiner.scheduler if self.refiner is not None else None

        self._img2img = None  # built on first use, sharing the base pipeline's modules
        self._lock = threading.Lock()  # one pipeline call at a time: the modules are shared
        self._fresh = True  # the next result reports the load time
        self.load_seconds = time.perf_counter() - started
        self.load_notes = notes
        extra = f" ({'; '.join(notes)})" if notes else ""
        self.status_message = (
            f"SDXL loaded on {self.device} in {_dtype_name(self.dtype)}"
            f" in {self.load_seconds:.1f} s{extra}"
        )

    # --- loading ----------------------------------------------------------------------------

    def _load_base(self, options: dict, on_cuda: bool, notes: list[str]) -> tuple:
        """The base pipeline on its device, and the keyword arguments it was loaded with."""
        import torch
        from diffusers import StableDiffusionXLPipeline

        load_kwargs: dict = {"dtype": self.dtype, "local_files_only": True}
        if _has_safetensors(self.weights_path):
            load_kwargs["use_safetensors"] = True  # never unpickle when safetensors exist
        if options.get("variant"):
            load_kwargs["variant"] = options["variant"]  # e.g. "fp16" files of the hub repo

        vae_option = str(options.get("vae") or "")
        if vae_option:
            load_kwargs["vae"] = self._load_vae(vae_option)
            notes.append(f"VAE from {vae_option}")

        pipe = StableDiffusionXLPipeline.from_pretrained(self.weights_path, **load_kwargs)
        if self.dtype == torch.float16 and not vae_option:
            # The stock SDXL VAE overflows to NaN (black images) in float16. With force_upcast
            # the pipeline decodes in float32 and casts back, costing memory but not quality.
            pipe.vae.register_to_config(force_upcast=True)
            notes.append("VAE upcast to float32 for decoding (no fp16-safe VAE configured)")
        elif self.dtype == torch.bfloat16:
            # bfloat16 has float32's range, so the VAE cannot overflow: decoding in bfloat16
            # skips the pipeline's float32 upcast (SDXL's config asks for it, meant for fp16).
            pipe.vae.register_to_config(force_upcast=False)
        pipe.to(self.device)
        self._tune(pipe, on_cuda)
        # Decode the batch's images one at a time: the same pictures, a much lower peak (a
        # 4×1024² decode, upcast to float32, is one of the largest allocations of a run).
        pipe.vae.enable_slicing()
        return pipe, load_kwargs

    def _compile_unet(self, compile_option, on_cuda: bool, notes: list[str]) -> None:
        """torch.compile the UNet when the `compile` option asks for it and a GPU is there."""
        if not compile_option:
            return
        if not on_cuda:
            notes.append("compile ignored: torch.compile only pays off on a CUDA GPU")
            return
        mode = DEFAULT_COMPILE_MODE if compile_option is True else str(compile_option)
        if mode not in COMPILE_MODES:
            raise BackendUnavailable(
                f"Unknown torch.compile mode {mode!r}.",
                f"Set the compile option to true or one of {', '.join(COMPILE_MODES)}.",
            )
        # Module.compile is torch.compile in place: pipe.unet stays a UNet (not an
        # OptimizedModule wrapper), so from_pipe and set_attn_processor still work.
        self.pipe.unet.compile(mode=mode)
        notes.append(f"UNet compiled ({mode}); the first image of each size is slow")

    def _load_vae(self, name: str):
        from diffusers import AutoencoderKL

        path = resolve_weights(name, what="fp16-safe VAE weights")
        kwargs: dict = {"dtype": self.dtype, "local_files_only": True}
        # A VAE repo (madebyollin/sdxl-vae-fp16-fix) has its config at the top; a whole
        # pipeline folder keeps it under vae/.
        if not (path / "config.json").is_file() and (path / "vae" / "config.json").is_file():
            kwargs["subfolder"] = "vae"
        if _has_safetensors(path):
            kwargs["use_safetensors"] = True
        return AutoencoderKL.from_pretrained(path, **kwargs)

    def _load_refiner(self, name: str, base_kwargs: dict, on_cuda: bool):
        from diffusers import StableDiffusionXLImg2ImgPipeline

        path = resolve_weights(name, what="SDXL refiner weights")
        kwargs = {k: v for k, v in base_kwargs.items() if k not in ("vae", "use_safetensors")}
        if _has_safetensors(path):
            kwargs["use_safetensors"] = True
        # The refiner uses the same second text encoder and VAE as the base: share them
        # instead of holding a second copy in GPU memory.
        refiner = StableDiffusionXLImg2ImgPipeline.from_pretrained(
            path,
            text_encoder_2=self.pipe.text_encoder_2,
            vae=self.pipe.vae,
            **kwargs,
        )
        refiner.to(self.device)
        self._tune(refiner, on_cuda)
        return refiner

    def _tune(self, pipe, on_cuda: bool) -> None:
        import torch
        from diffusers.models.attention_processor import AttnProcessor2_0

        # PyTorch's fused scaled-dot-product attention (flash / memory-efficient kernels on
        # CUDA). It is diffusers' default already; set it so a checkpoint or an older config
        # can't leave the slow reference attention in place.
        pipe.unet.set_attn_processor(AttnProcessor2_0())
        if on_cuda:
            # Convolutions in NHWC run on the tensor cores without layout transposes.
            pipe.unet.to(memory_format=torch.channels_last)
        pipe.set_progress_bar_config(disable=True)

    # --- generating -------------------------------------------------------------------------

    def _scheduler_class(self, name: str):
        import diffusers

        if name not in SCHEDULERS:
            valid = ", ".join(f'"{n}"' for n in SCHEDULERS)
            raise ValueError(
                f'Unknown scheduler {name!r}; use one of {valid}, or "" for the checkpoint\'s.'
            )
        return getattr(diffusers, SCHEDULERS[name])

    def _new_scheduler(self, name: str, original):
        """A fresh scheduler of the named kind (or the checkpoint's) on the checkpoint's config."""
        cls = self._scheduler_class(name) if name else type(original)
        return cls.from_config(original.config)

    def _img2img_pipe(self):
        if self._img2img is None:
            from diffusers import StableDiffusionXLImg2ImgPipeline

            # from_pipe reuses the loaded modules: no second copy of the weights. Its dtype
            # must be given: left out, from_pipe casts the shared modules to float32, which
            # would also silently turn the base pipeline's float16 UNet into float32.
            self._img2img = StableDiffusionXLImg2ImgPipeline.from_pipe(self.pipe, dtype=self.dtype)
            self._img2img.set_progress_bar_config(disable=True)
        return self._img2img

    def _validate(self, request: GenerateRequest) -> list[int]:
        if request.count < 1:
            raise ValueError(f"Asked for {request.count} images; ask for at least 1.")
        if request.width % 8 or request.height % 8 or request.width < 8 or request.height < 8:
            raise ValueError(
                f"Image size {request.width}×{request.height} is not a multiple of 8 "
                "(SDXL works on 8×8 pixel latents)."
            )
        if request.steps < 1:
            raise ValueError(f"Asked for {request.steps} steps; use at least 1.")
        if request.init_image is not None and not 0.0 < request.strength <= 1.0:
            raise ValueError(f"Strength {request.strength} is outside (0, 1].")
        if request.scheduler:
            self._scheduler_class(request.scheduler)
        if request.seeds:
            if len(request.seeds) != request.count:
                raise ValueError(
                    f"{len(request.seeds)} seeds were given for {request.count} images; "
                    "give one per image or none."
                )
            if any(int(seed) < 0 for seed in request.seeds):
                raise ValueError("Seeds must be zero or positive integers.")
            return [int(seed) for seed in request.seeds]
        return draw_seeds(request.count)

    def generate(self, request: GenerateRequest) -> GenerateResult:
        seeds = self._validate(request)
        sketch = None
        if request.init_image is not None:
            sketch = decode_sketch(request.init_image, request.width, request.height)
        notes: list[str] = []
        if request.use_refiner and self.refiner is None:
            notes.append("No refiner is configured; the base model alone made the images.")

        with self._lock:
            started = time.perf_counter()
            n = len(seeds)
            batch_size = n
            images = None
            try:
                images = self._run(request, seeds, sketch)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
            if images is None:
                # Out of memory. The retry happens here, outside the except block: inside it
                # the traceback still references the failed call's frames and their tensors,
                # so the cache could not be given back.
                batch_size = math.ceil(n / 2)
                empty_device_cache()
                try:
                    images = []
                    for start in range(0, n, batch_size):
                        chunk = seeds[start : start + batch_size]
                        images.extend(self._run(request, chunk, sketch))
                except Exception as exc:
                    if not is_out_of_memory(exc):
                        raise
                    images = None
                if images is None:
                    empty_device_cache()
                    raise OutOfMemory(self._out_of_memory_message(request, batch_size))
                notes.append(
                    f"Out of memory with a batch of {n}; retried in batches of {batch_size}."
                    if batch_size < n
                    else "Out of memory making one image; retried once after freeing memory."
                )
            inference_seconds = time.perf_counter() - started
            load_seconds = self.load_seconds if self._fresh else 0.0
            self._fresh = False

        return GenerateResult(
            images=[
                GeneratedImage(
                    png=png_bytes(image),
                    seed=seed,
                    width=image.width,
                    height=image.height,
                )
                for image, seed in zip(images, seeds, strict=True)
            ],
            model_id=self.model_id,
            load_seconds=load_seconds,
            inference_seconds=inference_seconds,
            batch_size_used=batch_size,
            notes=notes,
        )

    def _out_of_memory_message(self, request: GenerateRequest, batch_size: int) -> str:
        where = "The GPU" if self.device.startswith("cuda") else f"The {self.device}"
        size = f"{request.width}×{request.height}"
        attempt = (
            f"even in batches of {batch_size}"
            if batch_size < request.count
            else "even after freeing cached memory"
        )
        free = "free the GPU" if self.device.startswith("cuda") else "free memory on this machine"
        return (
            f"{where} ran out of memory {attempt} making {request.count} image(s) of {size}. "
            f"Lower YENNI_IMAGE_SIZE or the number of images, or {free} (other jobs or "
            "models using it)."
        )

    def _run(self, request: GenerateRequest, seeds: list[int], sketch) -> list:
        """One pipeline call for `seeds` (one image each); returns Pillow images in order."""
        refine = request.use_refiner and self.refiner is not None
        pipe = self._img2img_pipe() if sketch is not None else self.pipe
        scheduler_name = request.scheduler or self.default_scheduler
        pipe.scheduler = self._new_scheduler(scheduler_name, self._base_scheduler)
        generators = torch_generators(seeds, self.device)
        kwargs: dict = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            # The prompt is encoded once and repeated; generators[i] makes image i.
            "num_images_per_prompt": len(seeds),
            "generator": generators,
            "guidance_scale": request.guidance_scale,
            "num_inference_steps": request.steps,
            "width": request.width,
            "height": request.height,
        }
        if sketch is not None:
            kwargs["image"] = sketch
            kwargs["strength"] = request.strength
        if not refine:
            return list(pipe(**kwargs).images)

        kwargs["output_type"] = "latent"
        kwargs["denoising_end"] = REFINER_SPLIT
        latents = pipe(**kwargs).images
        self.refiner.scheduler = self._new_scheduler(scheduler_name, self._refiner_scheduler)
        # The same generators continue into the refiner, so its noise is per image as well.
        return list(
            self.refiner(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt or None,
                num_images_per_prompt=len(seeds),
                image=latents,
                generator=generators,
                guidance_scale=request.guidance_scale,
                num_inference_steps=request.steps,
                denoising_start=REFINER_SPLIT,
            ).images
        )
