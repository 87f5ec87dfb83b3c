"""Time Yenni's `sdxl` image backend on a CUDA GPU with SDXL 1.0's real architecture.

    python bench/sdxl_backend_gpu.py                      # bf16, eager then compiled
    python bench/sdxl_backend_gpu.py --no-compile --repeats 3

Unlike bench/sdxl_gpu.py (the bare UNet and VAE), this goes through the product's code path:
it saves a full StableDiffusionXLPipeline folder — the published UNet, VAE and both text-encoder
configurations with random weights (the same FLOPs as the real model) and the tiny test
tokenizer — then loads it with `generation.backends.image.sdxl.SdxlGenerator` exactly as a
GPU worker does and asks it for a batch of 4 images at 1024², 30 steps, with guidance. Each
figure is the backend's own inference time (text encoding, denoising, VAE decode, PNG
encoding); the eager run is the baseline the compiled run is compared with, in the same process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_parser, machine_load_printed
from bench.sdxl_gpu import UNET_CONFIG, VAE_CONFIG, add_batch_arguments

# Published configurations of SDXL 1.0's two text encoders (CLIP ViT-L and OpenCLIP bigG).
TEXT_ENCODER = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "projection_dim": 768,
}
TEXT_ENCODER_2 = {
    "vocab_size": 49408,
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 20,
    "max_position_embeddings": 77,
    "hidden_act": "gelu",
    "projection_dim": 1280,
}
SCHEDULER = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "steps_offset": 1,
    "timestep_spacing": "leading",
}


def build_real_size_pipeline(folder: Path, device: str = "cuda") -> Path:
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    from generation.backends.tiny.sdxl import build_tiny_sdxl

    if (folder / "model_index.json").exists():
        return folder
    tiny = build_tiny_sdxl(Path(tempfile.mkdtemp()) / "tiny")
    torch.manual_seed(0)
    with torch.device(device):
        pipe = StableDiffusionXLPipeline(
            vae=AutoencoderKL(**VAE_CONFIG),
            text_encoder=CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER)),
            text_encoder_2=CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_2)),
            tokenizer=CLIPTokenizer.from_pretrained(tiny / "tokenizer"),
            tokenizer_2=CLIPTokenizer.from_pretrained(tiny / "tokenizer_2"),
            unet=UNet2DConditionModel(**UNET_CONFIG),
            scheduler=EulerDiscreteScheduler(**SCHEDULER),
        )
    pipe.to(torch.bfloat16)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def main() -> None:
    parser = bench_parser(__doc__)
    add_batch_arguments(parser, repeats=2)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/sdxl-real-size"))
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--compile-mode", default="reduce-overhead")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument(
        "--dry-run-cpu",
        action="store_true",
        help="check the script on a CPU with tiny configurations (no figures worth reading)",
    )
    args = parser.parse_args()
    with machine_load_printed():
        device = "cpu" if args.dry_run_cpu else "cuda"
        if args.dry_run_cpu:
            shrink_configurations()

        import torch

        assert args.dry_run_cpu or torch.cuda.is_available(), "This benchmark needs a CUDA GPU."
        started = time.perf_counter()
        folder = build_real_size_pipeline(args.folder, device)
        name = "CPU dry run" if args.dry_run_cpu else torch.cuda.get_device_name()
        print(
            f"{name}: torch {torch.__version__}; pipeline folder ready in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        torch.cuda.empty_cache()
        variants = [("eager", {})]
        if not args.no_compile and not args.dry_run_cpu:
            variants.append((f"compiled ({args.compile_mode})", {"compile": args.compile_mode}))
        results = [
            time_variant(label, options, folder=folder, device=device, args=args)
            for label, options in variants
        ]
        if len(results) == 2:
            print(f"compiled / eager: {results[1]['batch_s'] / results[0]['batch_s']:.2f}")
        if args.json:
            Path(args.json).write_text(json.dumps({"device": name, "results": results}, indent=2))


def shrink_configurations() -> None:
    """Tiny stand-ins for every configuration, for --dry-run-cpu."""
    UNET_CONFIG.update(
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 1),
        attention_head_dim=(2, 4),
        cross_attention_dim=64,
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=80,
        sample_size=8,
    )
    VAE_CONFIG.update(
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=64,
    )
    tiny_text_encoder = {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "projection_dim": 32,
    }
    TEXT_ENCODER.update(tiny_text_encoder)
    TEXT_ENCODER_2.update(tiny_text_encoder)


def time_variant(
    label: str, options: dict, *, folder: Path, device: str, args: argparse.Namespace
) -> dict:
    """Load the pipeline folder through the sdxl backend with options, warm it up, time
    `--repeats` batches; print and return the figures."""
    import torch

    from generation.backends.base import GenerateRequest, ModelRole
    from generation.backends.image.sdxl import SdxlGenerator

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    generator = SdxlGenerator(
        ModelRole(
            role="image",
            backend="sdxl",
            model=str(folder),
            device=device,
            dtype=args.dtype,
            options=options,
        )
    )
    request = GenerateRequest(
        prompt="a young woman paying with her phone at a market stall, warm natural light",
        negative_prompt="blurry, watermark, logo",
        count=args.batch,
        seeds=list(range(100, 100 + args.batch)),
        guidance_scale=7.0,
        steps=args.steps,
        width=args.size,
        height=args.size,
    )
    t0 = time.perf_counter()
    generator.generate(request)  # warm-up: kernels chosen (and the UNet compiled)
    warmup = time.perf_counter() - t0
    runs = [generator.generate(request).inference_seconds for _ in range(args.repeats)]
    row = {
        "variant": label,
        "dtype": args.dtype,
        "load_s": round(generator.load_seconds, 1),
        "warmup_s": round(warmup, 1),
        "batch_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
        "seconds_per_image": round(statistics.median(runs) / args.batch, 3),
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1)
        if device == "cuda"
        else None,
    }
    print(json.dumps(row), flush=True)
    del generator
    torch.cuda.empty_cache()
    return row


if __name__ == "__main__":
    main()
