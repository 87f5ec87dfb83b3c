"""A tiny random-weight Stable Diffusion XL pipeline, for tests and for timing without weights.

It has every part the real one has (two CLIP text encoders, the second with a projection, a UNet
with SDXL's "text_time" added conditioning, a VAE and an Euler scheduler) at toy sizes, the way
diffusers' own SDXL tests build theirs, and is saved with `save_pretrained`, so the SDXL backend
runs its real loading and inference code on it: 64×64 images in 2 steps take a fraction of a
second on a CPU. The images are noise; what the tests check is shapes, seeds and code paths.

The tokenizer is a small CLIP byte-level BPE learnt here from a fixed word list, so nothing is
downloaded. It is written as vocab.json + merges.txt and loaded with
`CLIPTokenizer.from_pretrained(folder)`: in transformers 5, `CLIPTokenizer(vocab_file=...,
merges_file=...)` silently ignores both files and maps every word to <|endoftext|>.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

# Sizes of the toy model. SDXL's UNet conditions on the pooled text embedding of the second
# encoder (PROJECTION_DIM) plus six size/crop numbers each embedded in TIME_EMBED_DIM values,
# so the UNet's added-embedding input must be 6 * TIME_EMBED_DIM + PROJECTION_DIM wide; its
# cross-attention reads both encoders' hidden states side by side (2 * HIDDEN_SIZE).
HIDDEN_SIZE = 32
PROJECTION_DIM = 32
TIME_EMBED_DIM = 8
VOCAB_LIMIT = 1000  # the text encoders' embedding rows; the learnt vocabulary stays below it
MODEL_MAX_LENGTH = 77  # SDXL's prompt length in tokens; the pipeline truncates to it
SEED = 0

START, END = "<|startoftext|>", "<|endoftext|>"

# Words the BPE merges are learnt from: enough to give common prompt words a token or two.
CORPUS = """
a an the of in on at with and for to by from photo photograph picture image illustration
woman man people person child family friends team customer smiling happy using phone laptop
mobile app bank card money payment shopping store street city office home studio outdoors
indoors warm cool soft bright dim light lighting natural golden hour sunset morning evening
colour color colours colors palette blue green red yellow orange purple pink white black grey
gray brown background foreground portrait landscape square composition centered close up wide
shot high quality detailed sharp focus realistic cinematic professional advertising campaign
brand logo text banner poster social media minimal clean modern flat graphic style mood calm
energetic friendly trust young adult older group two three four together looking camera
blurry low resolution watermark signature deformed extra fingers cropped jpeg artifacts
"""


def bytes_to_unicode() -> dict[int, str]:
    """CLIP's (and GPT-2's) reversible map from the 256 byte values to printable characters.

    Byte-level BPE works on bytes, but vocab.json and merges.txt are text files that split on
    spaces, so every byte gets a visible, non-space stand-in character.
    """
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in chars), strict=True))


def learn_merges(words: list[str], max_merges: int) -> list[tuple[str, str]]:
    """Plain BPE training: repeatedly join the most frequent adjacent pair of symbols.

    Words end in "</w>" on their last symbol, as CLIP's tokenizer expects. Ties are broken by
    the pair itself so the result never depends on dict ordering.
    """
    byte_chars = bytes_to_unicode()
    spelled: list[list[str]] = []
    for word in words:
        symbols = [byte_chars[b] for b in word.lower().encode("utf-8")]
        symbols[-1] += "</w>"
        spelled.append(symbols)
    merges: list[tuple[str, str]] = []
    while len(merges) < max_merges:
        pairs: Counter[tuple[str, str]] = Counter()
        for symbols in spelled:
            pairs.update(itertools.pairwise(symbols))
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        joined = best[0] + best[1]
        for index, symbols in enumerate(spelled):
            out: list[str] = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            spelled[index] = out
    return merges


def write_clip_bpe(folder: Path) -> int:
    """Write vocab.json and merges.txt for a small CLIP tokenizer; return the vocabulary size."""
    folder.mkdir(parents=True, exist_ok=True)
    base = list(bytes_to_unicode().values())
    # 256 single characters, the same 256 ending a word, then one token per merge, then the two
    # special tokens: the layout of CLIP's real vocabulary, just shorter.
    room = VOCAB_LIMIT - 2 * len(base) - 2
    merges = learn_merges(CORPUS.split(), max_merges=room)
    tokens = base + [c + "</w>" for c in base] + [a + b for a, b in merges] + [START, END]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(vocab)


def build_tiny_sdxl(folder: Path) -> Path:
    """Build (once) a tiny random SDXL pipeline in `folder` and return the folder.

    Deterministic: the same library versions give the same weights every time. 64×64 images
    work (the two-block VAE halves the size, so the UNet sees 32×32 latents).
    """
    folder = Path(folder)
    if (folder / "model_index.json").exists():
        return folder

    from diffusers import StableDiffusionXLPipeline
    from transformers import CLIPTokenizer

    folder.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and move it into place at the end, so an interrupted build never
    # leaves a folder with model_index.json but missing parts (which the check above would
    # take for a finished one).
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        bpe_folder = staging / "tokenizer"
        write_clip_bpe(bpe_folder)
        tokenizer = CLIPTokenizer.from_pretrained(bpe_folder, model_max_length=MODEL_MAX_LENGTH)
        pipe = StableDiffusionXLPipeline(
            tokenizer=tokenizer, tokenizer_2=tokenizer, **_random_modules(tokenizer)
        )
        shutil.rmtree(bpe_folder)  # save_pretrained writes tokenizer/ again, complete
        pipe.save_pretrained(staging)
        if folder.exists():
            folder.rmdir()  # only an empty leftover: a finished one returned above
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _random_modules(tokenizer) -> dict:
    """The UNet, scheduler, VAE and both text encoders, with weights drawn from SEED."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    special = tokenizer.convert_tokens_to_ids([START, END])
    # fork_rng: seeding for our weights must not change the caller's random state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        unet = UNet2DConditionModel(
            block_out_channels=(32, 64),
            layers_per_block=2,
            sample_size=32,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=TIME_EMBED_DIM,
            transformer_layers_per_block=(1, 2),
            projection_class_embeddings_input_dim=6 * TIME_EMBED_DIM + PROJECTION_DIM,
            cross_attention_dim=2 * HIDDEN_SIZE,
            norm_num_groups=1,
        )
        scheduler = EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            steps_offset=1,
            timestep_spacing="leading",
        )
        torch.manual_seed(SEED)
        vae = AutoencoderKL(
            block_out_channels=(32, 64),
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
            up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
            latent_channels=4,
            sample_size=64,
        )
        text_config = CLIPTextConfig(
            vocab_size=VOCAB_LIMIT,
            hidden_size=HIDDEN_SIZE,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=5,
            max_position_embeddings=MODEL_MAX_LENGTH,
            projection_dim=PROJECTION_DIM,
            hidden_act="gelu",
            layer_norm_eps=1e-05,
            # The real ids: the pooled output is read at the first <|endoftext|>.
            bos_token_id=special[0],
            eos_token_id=special[1],
            pad_token_id=special[1],
        )
        torch.manual_seed(SEED)
        text_encoder = CLIPTextModel(text_config)
        torch.manual_seed(SEED)
        text_encoder_2 = CLIPTextModelWithProjection(text_config)
    return {
        "unet": unet,
        "scheduler": scheduler,
        "vae": vae,
        "text_encoder": text_encoder,
        "text_encoder_2": text_encoder_2,
    }
