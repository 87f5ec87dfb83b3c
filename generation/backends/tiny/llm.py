"""A tiny random-weight chat model, so the language-model prompt writer runs its real code in tests.

A Llama with two layers of width 64 and a byte-level BPE tokenizer trained in milliseconds on a
few ad phrases, with a Llama-2-style chat template: saved with save_pretrained it is under a
megabyte and loads and generates through the same transformers calls as a real checkpoint.
Its answers are noise, which is what the tests of the retry and fallback paths need.
"""

from __future__ import annotations

from pathlib import Path

SEED = 1234
VOCAB_SIZE = 600

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]

# Llama-2's layout: the system prompt inside the first [INST] block, one turn per [INST] pair.
CHAT_TEMPLATE = (
    "{% set ns = namespace(system='') %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{% set ns.system = message['content'] %}"
    "{% elif message['role'] == 'user' %}"
    "{{ bos_token }}[INST] "
    "{% if ns.system %}<<SYS>>\n{{ ns.system }}\n<</SYS>>\n\n{% set ns.system = '' %}{% endif %}"
    "{{ message['content'] }} [/INST]"
    "{% elif message['role'] == 'assistant' %} {{ message['content'] }} {{ eos_token }}"
    "{% endif %}"
    "{% endfor %}"
)

# Enough English and Spanish ad words for the BPE to learn merges; the byte alphabet covers
# every other character, so any text still encodes.
CORPUS = [
    "a young woman using a mobile phone outdoors, warm light, cheerful mood",
    "a happy family at home, soft light, blue and white color palette",
    "credit card for young adults, candid lifestyle photography, natural light",
    "entrepreneur in a small business, modern office, trustworthy, friendly",
    "savings account, travel to the beach, city street, bright colors",
    '{"prompt": "...", "negative_prompt": "blurry, low quality", "rationale": "..."}',
    "tarjeta de crédito para jóvenes, familia feliz en su casa, tono cálido y cercano",
    "ahorro, crédito, celular, pagos, viaje, emprendedor, mujer, hombre, hogar",
    "[INST] <<SYS>> You write Stable Diffusion XL prompts. <</SYS>> [/INST]",
]


def build_tiny_llm(folder: Path) -> Path:
    """Save a tiny random Llama chat model and its tokenizer in `folder` (once) and return it."""
    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS * 4, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    # A fixed seed: the same random model, hence the same (invalid) answers, on every run.
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config)
    model.generation_config.do_sample = False
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
