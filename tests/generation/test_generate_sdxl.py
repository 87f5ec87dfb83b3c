"""The SDXL backend on a tiny random-weight SDXL checkpoint: real loading, real diffusers calls.

The images are noise (the weights are random); what is checked is sizes, seeds, the img2img and
refiner paths, the out-of-memory retry and the errors an operator sees.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.backends.base import (
    BackendUnavailable,
    GenerateRequest,
    ModelRole,
    OutOfMemory,
)
from generation.backends.image.sdxl import SdxlGenerator

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = [11, 12, 13, 14]


def role(model: str, **fields) -> ModelRole:
    return ModelRole(role="image", backend="sdxl", model=model, device="cpu", **fields)


def request(**fields) -> GenerateRequest:
    values = {
        "prompt": "a photo of a woman using a phone, warm light",
        "negative_prompt": "blurry, watermark",
        "count": 4,
        "seeds": SEEDS,
        "steps": 2,
        "width": 64,
        "height": 64,
    }
    values.update(fields)
    return GenerateRequest(**values)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Run torch on one thread here. The toy model gains nothing from more, and with more
    threads than free cores (xdist workers, other jobs) OpenMP's spinning threads make each
    call ten or more times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def generator(one_torch_thread, tiny_sdxl_dir) -> SdxlGenerator:
    return SdxlGenerator(role(str(tiny_sdxl_dir)))


@pytest.fixture(scope="module")
def batch_of_four(generator):
    return generator.generate(request())


@pytest.fixture
def fail_large_batches(monkeypatch):
    """Fault injection: the pipeline runs out of memory for batches above `limit` images.

    Smaller batches run the real pipeline. Every call's batch size is recorded.
    """
    from diffusers import StableDiffusionXLPipeline

    real_call = StableDiffusionXLPipeline.__call__
    calls: list[int] = []

    def install(limit: int) -> list[int]:
        def call(self, *args, **kwargs):
            calls.append(kwargs["num_images_per_prompt"])
            if kwargs["num_images_per_prompt"] > limit:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.50 GiB")
            return real_call(self, *args, **kwargs)

        monkeypatch.setattr(StableDiffusionXLPipeline, "__call__", call)
        return calls

    return install


def test_it_loads_a_folder_and_makes_four_64px_pngs_with_their_seeds(generator, batch_of_four):
    assert generator.usable is True
    assert generator.model_id == "sdxl"
    assert generator.device == "cpu"
    assert generator.status_message.startswith("SDXL loaded on cpu in float32")
    assert batch_of_four.model_id == "sdxl"
    assert [image.seed for image in batch_of_four.images] == SEEDS
    assert [(image.width, image.height) for image in batch_of_four.images] == [(64, 64)] * 4
    for image in batch_of_four.images:
        assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
        decoded = Image.open(io.BytesIO(image.png))
        assert (decoded.format, decoded.mode, decoded.size) == ("PNG", "RGB", (64, 64))
    assert batch_of_four.batch_size_used == 4
    assert batch_of_four.notes == []
    assert batch_of_four.inference_seconds > 0


def test_the_load_time_is_reported_on_the_first_result_only(tiny_sdxl_dir):
    fresh = SdxlGenerator(role(str(tiny_sdxl_dir)))
    first = fresh.generate(request(count=1, seeds=[1]))
    second = fresh.generate(request(count=1, seeds=[1]))
    assert first.load_seconds == fresh.load_seconds
    assert fresh.load_seconds > 0
    assert second.load_seconds == 0.0


def test_the_same_seeds_give_byte_identical_images_and_another_seed_another_image(
    generator, batch_of_four
):
    again = generator.generate(request())
    assert [i.png for i in again.images] == [i.png for i in batch_of_four.images]
    other = generator.generate(request(seeds=[99, 12, 13, 14]))
    assert other.images[0].png != batch_of_four.images[0].png
    assert [i.png for i in other.images[1:]] == [i.png for i in batch_of_four.images[1:]]
    # Four different seeds: four different pictures, not one repeated.
    assert len({i.png for i in batch_of_four.images}) == 4


def test_an_image_is_the_same_in_a_batch_of_four_or_made_alone(generator, batch_of_four):
    # Each image's noise comes from its own seeded generator, so the pictures match. The float
    # arithmetic of a batch of 4 is not bit-for-bit that of a batch of 1 (the CPU and GPU
    # kernels split the work by batch size), so after rounding to 8 bits a few pixel values
    # may differ by one; a different seed differs by tens on average.
    for index, seed in enumerate(SEEDS):
        alone = generator.generate(request(count=1, seeds=[seed]))
        difference = np.abs(pixels(alone.images[0].png) - pixels(batch_of_four.images[index].png))
        assert difference.max() <= 1, (seed, difference.max())
        assert (difference > 0).mean() < 0.01
    unrelated = generator.generate(request(count=1, seeds=[12345]))
    distance = np.abs(pixels(unrelated.images[0].png) - pixels(batch_of_four.images[0].png))
    assert distance.mean() > 10


def test_seeds_are_drawn_consecutively_when_none_are_given(generator):
    result = generator.generate(request(count=2, seeds=[]))
    first = result.images[0].seed
    assert [image.seed for image in result.images] == [first, first + 1]
    assert 0 <= first < 2**31 - 1


def test_img2img_from_a_sketch_returns_the_asked_size_and_differs_from_txt2img(
    generator, batch_of_four
):
    sketch = io.BytesIO()
    drawing = Image.new("RGB", (120, 90), "white")
    drawing.paste((200, 30, 30), (20, 20, 80, 70))
    drawing.save(sketch, format="PNG")

    result = generator.generate(request(init_image=sketch.getvalue(), strength=0.6))

    assert [(i.width, i.height) for i in result.images] == [(64, 64)] * 4
    assert [Image.open(io.BytesIO(i.png)).size for i in result.images] == [(64, 64)] * 4
    assert [i.seed for i in result.images] == SEEDS
    for from_sketch, from_text in zip(result.images, batch_of_four.images, strict=True):
        assert from_sketch.png != from_text.png
    again = generator.generate(request(init_image=sketch.getvalue(), strength=0.6))
    assert [i.png for i in again.images] == [i.png for i in result.images]


def test_a_sketch_that_is_not_an_image_raises_value_error(generator):
    with pytest.raises(ValueError, match="not an image file"):
        generator.generate(request(init_image=b"not a picture"))


def test_out_of_memory_with_four_images_retries_in_batches_of_two(generator, fail_large_batches):
    calls = fail_large_batches(limit=2)

    result = generator.generate(request())

    assert calls == [4, 2, 2]
    assert [image.seed for image in result.images] == SEEDS
    assert result.batch_size_used == 2
    assert result.notes == ["Out of memory with a batch of 4; retried in batches of 2."]
    # The retry makes the same pictures: each pair equals a plain batch of two with its seeds.
    first_pair = generator.generate(request(count=2, seeds=SEEDS[:2]))
    second_pair = generator.generate(request(count=2, seeds=SEEDS[2:]))
    expected = [i.png for i in first_pair.images + second_pair.images]
    assert [i.png for i in result.images] == expected


def test_out_of_memory_even_in_batches_of_two_raises_a_clear_error(generator, fail_large_batches):
    calls = fail_large_batches(limit=0)

    with pytest.raises(OutOfMemory) as caught:
        generator.generate(request())

    assert calls == [4, 2]
    assert str(caught.value) == (
        "The cpu ran out of memory even in batches of 2 making 4 image(s) of 64×64. "
        "Lower YENNI_IMAGE_SIZE or the number of images, or free memory on this machine "
        "(other jobs or models using it)."
    )


def test_an_error_that_is_not_out_of_memory_is_not_retried(generator, monkeypatch):
    from diffusers import StableDiffusionXLPipeline

    calls: list[int] = []

    def broken(self, *args, **kwargs):
        calls.append(kwargs["num_images_per_prompt"])
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(StableDiffusionXLPipeline, "__call__", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        generator.generate(request())
    assert calls == [4]


def test_a_missing_folder_raises_backend_unavailable(tmp_path):
    missing = tmp_path / "no-such-sdxl"
    with pytest.raises(BackendUnavailable) as caught:
        SdxlGenerator(role(str(missing)))
    assert caught.value.message == f"The image model weights folder {missing} does not exist."
    assert "Hugging Face id" in caught.value.how_to_fix


def test_an_unknown_hub_id_raises_backend_unavailable_pointing_at_yenni_models_fetch(
    monkeypatch,
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackendUnavailable) as caught:
        SdxlGenerator(role("yenni-tests/no-such-sdxl-model"))
    assert "yenni-tests/no-such-sdxl-model" in caught.value.message
    assert "yenni_models fetch" in caught.value.how_to_fix


def test_a_folder_that_is_not_a_pipeline_raises_backend_unavailable(tmp_path):
    with pytest.raises(BackendUnavailable) as caught:
        SdxlGenerator(role(str(tmp_path)))
    assert caught.value.message == (
        f"{tmp_path} is not a diffusers pipeline folder (no model_index.json)."
    )


def test_an_unknown_scheduler_raises_value_error_listing_the_valid_names(generator):
    with pytest.raises(ValueError) as caught:
        generator.generate(request(scheduler="plms"))
    assert str(caught.value) == (
        'Unknown scheduler \'plms\'; use one of "euler", "euler_a", "dpm++2m", "ddim", '
        'or "" for the checkpoint\'s.'
    )


def test_a_named_scheduler_works_and_changes_the_images(generator, batch_of_four):
    result = generator.generate(request(scheduler="dpm++2m"))
    assert [i.seed for i in result.images] == SEEDS
    assert [(i.width, i.height) for i in result.images] == [(64, 64)] * 4
    assert result.images[0].png != batch_of_four.images[0].png
    # The next request without a scheduler is back on the checkpoint's own (Euler).
    assert generator.generate(request()).images[0].png == batch_of_four.images[0].png


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"width": 60}, "Image size 60×64 is not a multiple of 8"),
        ({"height": 100}, "Image size 64×100 is not a multiple of 8"),
        ({"seeds": [1, 2]}, "2 seeds were given for 4 images"),
        ({"count": 0, "seeds": []}, "Asked for 0 images"),
    ],
)
def test_a_bad_request_raises_value_error(generator, fields, message):
    with pytest.raises(ValueError, match=message):
        generator.generate(request(**fields))


def test_options_load_a_separate_vae_and_a_refiner_and_hand_over_at_80_percent(
    tiny_sdxl_dir, monkeypatch
):
    from diffusers import StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline

    # The tiny checkpoint stands in for both: its vae/ folder as the "fp16-safe VAE" and the
    # whole checkpoint as the refiner.
    folder = str(tiny_sdxl_dir)
    with_refiner = SdxlGenerator(
        role(folder, options={"vae": folder, "refiner": folder, "compile": True})
    )
    assert with_refiner.refiner is not None
    assert with_refiner.refiner.vae is with_refiner.pipe.vae
    assert with_refiner.refiner.text_encoder_2 is with_refiner.pipe.text_encoder_2
    assert "compile ignored" in with_refiner.status_message
    plain = with_refiner.generate(request(count=2, seeds=SEEDS[:2]))

    seen: list[tuple[str, object, object, object]] = []
    for cls in (StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline):
        real = cls.__call__

        def spy(self, *args, _real=real, _name=cls.__name__, **kwargs):
            seen.append(
                (
                    _name,
                    kwargs.get("output_type", "pil"),
                    kwargs.get("denoising_end"),
                    kwargs.get("denoising_start"),
                )
            )
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", spy)
    refined = with_refiner.generate(request(count=2, seeds=SEEDS[:2], use_refiner=True))

    assert seen == [
        ("StableDiffusionXLPipeline", "latent", 0.8, None),
        ("StableDiffusionXLImg2ImgPipeline", "pil", None, 0.8),
    ]
    assert [(i.width, i.height, i.seed) for i in refined.images] == [
        (64, 64, 11),
        (64, 64, 12),
    ]
    assert refined.notes == []
    # The stand-in refiner has the base's own weights and Euler adds no noise, so base-to-80 %
    # then refiner-from-80 % must equal one plain run: proof the latents are handed over whole.
    assert [i.png for i in refined.images] == [i.png for i in plain.images]


def test_asking_for_the_refiner_without_one_says_so(generator):
    result = generator.generate(request(count=1, seeds=[1], use_refiner=True))
    assert result.notes == ["No refiner is configured; the base model alone made the images."]


def test_img2img_keeps_the_pipeline_in_its_dtype(tiny_sdxl_dir):
    # from_pipe casts the shared modules to float32 unless told the dtype; the backend must
    # not let a sketch request turn a half-precision model into a float32 one.
    half = SdxlGenerator(role(str(tiny_sdxl_dir), dtype="bfloat16"))
    sketch = io.BytesIO()
    Image.new("RGB", (64, 64), "gray").save(sketch, format="PNG")

    half.generate(request(count=1, seeds=[1], init_image=sketch.getvalue()))

    assert half.pipe.unet.dtype == torch.bfloat16
    assert half.pipe.text_encoder_2.dtype == torch.bfloat16
    assert half.status_message.startswith("SDXL loaded on cpu in bfloat16")


def test_the_tiny_checkpoint_is_deterministic_and_built_once(tiny_sdxl_dir, tmp_path):
    from transformers import CLIPTokenizer

    from generation.backends.tiny.sdxl import build_tiny_sdxl

    def digests(folder: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    second = build_tiny_sdxl(tmp_path / "again")
    assert digests(second) == digests(tiny_sdxl_dir)
    stamp = (second / "model_index.json").stat().st_mtime_ns
    assert build_tiny_sdxl(second) == second
    assert (second / "model_index.json").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # no staging left behind

    tokenizer = CLIPTokenizer.from_pretrained(tiny_sdxl_dir / "tokenizer_2")
    assert tokenizer.model_max_length == 77
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("A photo of a woman").input_ids)
    assert tokens == [
        "<|startoftext|>",
        "a</w>",
        "photo</w>",
        "of</w>",
        "a</w>",
        "woman</w>",
        "<|endoftext|>",
    ]


def test_importing_the_module_loads_neither_torch_nor_diffusers():
    code = (
        "import sys\n"
        "import generation.backends.image.sdxl\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
