"""Time the real SDXL 1.0 architecture, with random weights, on a CUDA GPU.

    python bench/sdxl_gpu.py                       # batch 4, 1024², 30 steps, fp16 and bf16
    python bench/sdxl_gpu.py --steps 25 --batch 4 --dtypes bf16

No weights are needed: the UNet (≈2.6 B parameters) and the VAE are built from SDXL 1.0's
configuration with random weights, which cost the same FLOPs as the real ones. Text encoding is
left out (prompt embeddings are random tensors of the real shapes): it is a few milliseconds of a
run. Each step runs the UNet on 2 × batch latents (classifier-free guidance), as the pipeline does.
It prints one line per dtype and writes the figures as JSON when --json names a file.

This is groundwork for the image-generation backend: it says what a GPU worker can promise
(seconds per batch of four) before real weights are installed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_parser, machine_load_printed

# SDXL 1.0 base, as published in its unet/ and vae/ config.json files.
UNET_CONFIG = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "block_out_channels": (320, 640, 1280),
    "layers_per_block": 2,
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
}
VAE_CONFIG = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 4,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
}
# Published: 6.8 TFLOP per image per UNet step at 1024² (without guidance).
UNET_TFLOP_PER_IMAGE_STEP = 6.8


def add_batch_arguments(parser: argparse.ArgumentParser, *, repeats: int) -> None:
    """The options both SDXL benches take: what one timed batch is, how often, where to."""
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")


def main() -> None:
    parser = bench_parser(__doc__)
    add_batch_arguments(parser, repeats=3)
    parser.add_argument("--dtypes", default="fp16,bf16")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also time the UNet compiled with torch.compile (channels-last, fused QKV)",
    )
    args = parser.parse_args()

    with machine_load_printed():
        import torch

        assert torch.cuda.is_available(), "This benchmark needs a CUDA GPU."
        unet, vae = build_models(torch.device("cuda"))
        variants = [(name, False) for name in args.dtypes.split(",")]
        if args.compile:
            variants += [(name, True) for name in args.dtypes.split(",")]
        results = [time_variant(unet, vae, name, compiled, args) for name, compiled in variants]
        if args.json:
            with open(args.json, "w") as handle:
                json.dump({"device": torch.cuda.get_device_name(), "results": results}, handle)


def build_models(device):
    """SDXL's UNet and VAE with random weights, on device; print how big and how long."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    torch.manual_seed(0)
    started = time.perf_counter()
    with device:
        unet = UNet2DConditionModel(**UNET_CONFIG).eval()
        vae = AutoencoderKL(**VAE_CONFIG).eval()
    built = time.perf_counter() - started
    params = sum(p.numel() for p in unet.parameters())
    print(
        f"{torch.cuda.get_device_name()}: torch {torch.__version__}; UNet {params / 1e9:.2f} B "
        f"parameters, built with random weights in {built:.1f} s"
    )
    return unet, vae


def time_variant(eager, vae, name: str, compiled: bool, args: argparse.Namespace) -> dict:
    """Time one dtype, eager or compiled: print its line and return its figures."""
    import torch

    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[name]
    eager.to(dtype)
    vae.to(dtype)
    unet = eager
    if compiled:
        # The usual SDXL speed-ups: NHWC convolutions, one QKV matmul, compiled graph.
        eager.to(memory_format=torch.channels_last)
        eager.fuse_qkv_projections()
        unet = torch.compile(eager, fullgraph=True)
    compile_s, runs, decodes = time_batches(unet, vae, dtype, compiled, args)
    denoise = statistics.median(runs)
    decode = statistics.median(decodes)
    rows = 2 * args.batch  # classifier-free guidance: conditional and unconditional
    tflops = UNET_TFLOP_PER_IMAGE_STEP * rows * args.steps / denoise
    peak = torch.cuda.max_memory_allocated() / 2**30
    row = {
        "dtype": name,
        "compiled": compiled,
        "compile_s": round(compile_s, 1),
        "batch": args.batch,
        "size": args.size,
        "steps": args.steps,
        "denoise_s": round(denoise, 3),
        "step_ms": round(1000 * denoise / args.steps, 1),
        "vae_decode_s": round(decode, 3),
        "total_s": round(denoise + decode, 3),
        "seconds_per_image": round((denoise + decode) / args.batch, 3),
        "unet_tflops": round(tflops, 1),
        "peak_gib": round(peak, 1),
    }
    label = f"{name}{' compiled' if compiled else ''}"
    print(
        f"{label}: {args.batch} images {args.size}², {args.steps} steps with guidance: "
        f"denoise {denoise:.2f} s ({row['step_ms']} ms/step, ≈{tflops:.0f} TFLOP/s), "
        f"VAE decode {decode:.2f} s, total {denoise + decode:.2f} s "
        f"({row['seconds_per_image']} s/image), peak {peak:.1f} GiB"
        + (f", compiled in {compile_s:.0f} s" if compiled else "")
    )
    torch.cuda.reset_peak_memory_stats()
    return row


def time_batches(unet, vae, dtype, compiled: bool, args: argparse.Namespace):
    """Two warm-up steps (timed as the compile when compiled), then `--repeats` times the
    whole denoising and the VAE decode; seconds of the warm-up, the denoisings, the decodes."""
    import torch

    device = torch.device("cuda")
    rows = 2 * args.batch  # classifier-free guidance: conditional and unconditional
    latent = args.size // 8
    sample = torch.randn(rows, 4, latent, latent, device=device, dtype=dtype)
    text = torch.randn(rows, 77, 2048, device=device, dtype=dtype)
    added = {
        "text_embeds": torch.randn(rows, 1280, device=device, dtype=dtype),
        "time_ids": torch.tensor(
            [[args.size, args.size, 0, 0, args.size, args.size]] * rows,
            device=device,
            dtype=dtype,
        ),
    }
    # Timesteps as tensors, as the pipeline passes them: no recompiling per value.
    steps = torch.arange(999, 999 - args.steps, -1, device=device)
    runs, decodes = [], []
    with torch.inference_mode():
        t0 = time.perf_counter()
        for step in range(2):  # warm-up: kernels chosen (and compiled), memory allocated
            unet(sample, steps[step], encoder_hidden_states=text, added_cond_kwargs=added)
        torch.cuda.synchronize()
        compile_s = time.perf_counter() - t0 if compiled else 0.0
        for _ in range(args.repeats):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for step in range(args.steps):
                unet(sample, steps[step], encoder_hidden_states=text, added_cond_kwargs=added)
            torch.cuda.synchronize()
            runs.append(time.perf_counter() - t0)
            images = sample[: args.batch] / VAE_CONFIG["scaling_factor"]
            t0 = time.perf_counter()
            vae.decode(images)
            torch.cuda.synchronize()
            decodes.append(time.perf_counter() - t0)
    return compile_s, runs, decodes


if __name__ == "__main__":
    main()
