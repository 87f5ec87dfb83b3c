"""Tiny random-weight BLIP and CLIP checkpoints for tests and for CPU smoke runs.

They have the real architectures, processors and file layouts at toy sizes, so the interrogator
describer runs its real loading, captioning and ranking code on them in well under a second.
Their captions are random English words and their rankings are arbitrary but deterministic.
Nothing is downloaded: the tokenizers are built here from word lists.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

SEED = 20240601
IMAGE_SIZE = 32
PATCH_SIZE = 8
HIDDEN = 32

# Words the tiny BLIP can caption with (and the tiny CLIP can read), on top of every label word.
CAPTION_TEXT = """
a an the of in on at with and or to for from by over under near behind beside into
is are sitting standing walking holding looking using smiling talking reading working paying
shopping driving cooking playing laughing waving pointing showing carrying wearing sleeping
man woman men women person people boy girl child children baby family couple friends team
customer worker teacher doctor student farmer chef owner grandmother grandfather mother father
phone smartphone card credit debit wallet money cash coin coins bill bills laptop computer
screen tablet app house home car bicycle bag bags box gift cup coffee tea table desk chair
sofa window door wall floor street road tree trees park garden grass flowers sky cloud clouds
sun sunset beach sea water mountain city building buildings shop store market restaurant
kitchen office room bank counter sign logo text poster banner picture photo image drawing
background light shadow colour color red orange yellow green blue purple pink brown black
white grey gray gold silver dark bright small large big little young old happy smiling
two three four group front top side hand hands face smile dog cat bird food plate bread fruit
keys key lock shield piggy chart graph arrow percent price number letter letters word words
"""

SPECIAL_BERT = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
PUNCTUATION = list(".,-'!?:;%$&/()")


def _label_words() -> list[str]:
    from generation.backends.describe.labels import (
        DEFAULT_TEMPLATE,
        LABELS,
        TEMPLATES,
    )

    texts = [DEFAULT_TEMPLATE, *TEMPLATES.values()]
    texts += [label for labels in LABELS.values() for label in labels]
    words: set[str] = set()
    for text in texts:
        words.update(re.findall(r"[^\W_]+", text.replace("{label}", " ").lower()))
    return sorted(words)


def _vocabulary_words() -> list[str]:
    return sorted(set(CAPTION_TEXT.split()) | set(_label_words()))


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _seed() -> None:
    # Fixed weights: every build of a tiny model gives the same captions and labels.
    import torch

    torch.manual_seed(SEED)


def _image_processor(kind: str):
    """The PIL ("slow") image processor: the torchvision one cannot import beside CPU torch."""
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    if kind == "blip":
        return BlipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    )


def build_tiny_blip(folder: Path) -> Path:
    """Save a tiny BlipForConditionalGeneration and its BlipProcessor in `folder`."""
    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipProcessor,
        BlipTextConfig,
        BlipVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    # BERT's normaliser strips accents ("café" -> "cafe"), so its vocabulary must too.
    plain = sorted({_strip_accents(word) for word in _vocabulary_words()})
    vocab = SPECIAL_BERT + PUNCTUATION + plain
    # Written to disk and loaded from the folder: the way a real checkpoint's tokenizer loads.
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer.from_pretrained(str(folder), bos_token="[DEC]")
    ids = {token: vocab.index(token) for token in SPECIAL_BERT}

    text_config = BlipTextConfig(
        vocab_size=len(vocab),
        hidden_size=HIDDEN,
        encoder_hidden_size=HIDDEN,
        intermediate_size=4 * HIDDEN,
        projection_dim=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=64,
        # BLIP starts a caption with [DEC] and ends it at [SEP], as the real checkpoints do.
        bos_token_id=ids["[DEC]"],
        sep_token_id=ids["[SEP]"],
        eos_token_id=ids["[SEP]"],
        pad_token_id=ids["[PAD]"],
    )
    vision_config = BlipVisionConfig(
        hidden_size=HIDDEN,
        intermediate_size=4 * HIDDEN,
        projection_dim=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
        # BLIP's default (1e-10) leaves random vision weights near zero, so every image would
        # get the same caption; a usual scale lets tests see different images captioned apart.
        initializer_range=0.02,
    )
    config = BlipConfig(
        text_config=text_config.to_dict(),
        vision_config=vision_config.to_dict(),
        projection_dim=HIDDEN,
    )
    _seed()
    model = BlipForConditionalGeneration(config).eval()
    model.save_pretrained(folder)
    BlipProcessor(image_processor=_image_processor("blip"), tokenizer=tokenizer).save_pretrained(
        folder
    )
    _check_reload(folder, "blip")
    return folder


def _clip_bpe(words: list[str]) -> tuple[dict[str, int], list[str]]:
    """A byte-level BPE vocabulary and merges in which each word is one token.

    The words go through the CLIP tokenizer's own normaliser and pre-tokeniser first, so the
    learnt merges see exactly the pieces CLIPTokenizer will later split text into.
    """
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer
    from transformers import CLIPTokenizer

    splitter = CLIPTokenizer().backend_tokenizer
    pieces: list[str] = []
    for word in words:
        normalised = splitter.normalizer.normalize_str(word)
        pieces += [piece for piece, _ in splitter.pre_tokenizer.pre_tokenize_str(normalised)]

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    learner = Tokenizer(BPE(end_of_word_suffix="</w>"))
    learner.pre_tokenizer = pre_tokenizers.WhitespaceSplit()  # the pieces are already split
    trainer = BpeTrainer(
        vocab_size=100_000,  # more than enough: stop only when every piece is one token
        min_frequency=1,
        show_progress=False,
        initial_alphabet=alphabet,
        end_of_word_suffix="</w>",
    )
    learner.train_from_iterator(sorted(set(pieces)), trainer=trainer)
    model = json.loads(learner.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]

    # Every byte alone and at a word's end, so no text falls back to the unknown token; then
    # the learnt tokens; then CLIP's two specials last, where the real vocabulary has them.
    tokens = sorted(alphabet) + sorted(f"{c}</w>" for c in alphabet)
    seen = set(tokens)
    for token, _ in sorted(model["vocab"].items(), key=lambda item: item[1]):
        if token not in seen:
            tokens.append(token)
            seen.add(token)
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {token: index for index, token in enumerate(tokens)}, merges


def build_tiny_clip(folder: Path) -> Path:
    """Save a tiny CLIPModel and its CLIPProcessor in `folder`."""
    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    from transformers import (
        CLIPConfig,
        CLIPModel,
        CLIPProcessor,
        CLIPTextConfig,
        CLIPTokenizer,
        CLIPVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = _clip_bpe(_vocabulary_words())
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8"
    )
    # From the folder, never CLIPTokenizer(vocab_file=…): transformers 5 ignores those arguments
    # and maps every token to <|endoftext|> (see shared/ENVIRONMENT.md).
    tokenizer = CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)

    text_config = CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=HIDDEN,
        intermediate_size=4 * HIDDEN,
        projection_dim=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        bos_token_id=vocab["<|startoftext|>"],
        # The text embedding is read at the first end token; an id other than the legacy 2 makes
        # CLIP look for this id rather than for the largest id in the row.
        eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
    vision_config = CLIPVisionConfig(
        hidden_size=HIDDEN,
        intermediate_size=4 * HIDDEN,
        projection_dim=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=IMAGE_SIZE,
        patch_size=PATCH_SIZE,
    )
    config = CLIPConfig(
        text_config=text_config.to_dict(),
        vision_config=vision_config.to_dict(),
        projection_dim=HIDDEN,
    )
    _seed()
    model = CLIPModel(config).eval()
    model.save_pretrained(folder)
    CLIPProcessor(image_processor=_image_processor("clip"), tokenizer=tokenizer).save_pretrained(
        folder
    )
    _check_reload(folder, "clip")
    return folder


def _check_reload(folder: Path, kind: str) -> None:
    """Fail at build time, not in a test, if the saved parts do not load back the way the
    describer loads them (PIL image processor, tokenizer from the folder) or if the tokenizer
    cannot read the label words."""
    from transformers import AutoImageProcessor, AutoTokenizer

    image_processor = AutoImageProcessor.from_pretrained(str(folder), backend="pil")
    if not type(image_processor).__name__.endswith("Pil"):
        raise RuntimeError(f"The tiny {kind} image processor reloads as {type(image_processor)}.")
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    words = _label_words()
    rows = tokenizer(words, add_special_tokens=False)["input_ids"]
    # CLIP's unknown token is <|endoftext|>: a word read as it was never learnt.
    if any(not row or tokenizer.unk_token_id in row for row in rows):
        raise RuntimeError(f"The tiny {kind} tokenizer in {folder} does not read the label words.")
