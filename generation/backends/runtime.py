"""Which backend runs each role, where its weights are, and the once-per-process model cache.

Backends are named in settings.YENNI_MODELS and imported by dotted path only when first used,
so the web process never imports torch. A loaded backend stays in this process (a django-q2
worker) and is reused by every later job; `forget()` drops them (tests, out-of-memory).
"""

from __future__ import annotations

import importlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from generation.backends.base import BackendUnavailable, ModelRole

ROLES = ("describe", "prompt", "image")

# role -> backend name -> "module:Class". Each class takes a ModelRole and loads in __init__.
BACKENDS: dict[str, dict[str, str]] = {
    "describe": {
        "heuristic": "generation.backends.describe.heuristic:HeuristicDescriber",
        "interrogator": "generation.backends.describe.interrogator:InterrogatorDescriber",
        "clip-interrogator": "generation.backends.describe.interrogator:ClipInterrogatorDescriber",
    },
    "prompt": {
        "composer": "generation.backends.prompt.composer:ComposerWriter",
        "llm": "generation.backends.prompt.llm:LlmPromptWriter",
    },
    "image": {
        "none": "generation.backends.image.none:NoImageModel",
        "sdxl": "generation.backends.image.sdxl:SdxlGenerator",
    },
}

# Backends that need no weights and no model library.
WEIGHTLESS = {"heuristic", "composer", "none"}
# Backends whose jobs belong on the GPU cluster when one is configured.
GPU_BACKENDS = {"interrogator", "clip-interrogator", "llm", "sdxl"}

INSTALL_HINT = (
    "Install the model libraries with `pip install -c constraints.txt -e '.[ml]'` "
    "(on a GPU machine add '.[gpu]' with a CUDA build of torch); see docs/models.md."
)


def role_config(role: str) -> ModelRole:
    """The role's configuration from settings.YENNI_MODELS."""
    from django.conf import settings

    if role not in ROLES:
        raise ValueError(f"Unknown model role {role!r}; expected one of {', '.join(ROLES)}.")
    raw = dict(settings.YENNI_MODELS[role])
    return ModelRole(
        role=role,
        backend=raw.get("backend", ""),
        model=raw.get("model", ""),
        revision=raw.get("revision", ""),
        device=raw.get("device", "auto") or "auto",
        dtype=raw.get("dtype", "auto") or "auto",
        options=dict(raw.get("options") or {}),
    )


def _cache_key(config: ModelRole) -> str:
    return json.dumps(
        [
            config.role,
            config.backend,
            config.model,
            config.revision,
            config.device,
            config.dtype,
            config.options,
        ],
        sort_keys=True,
        default=str,
    )


_loaded: dict[str, object] = {}
_lock = threading.Lock()


def backend_class(config: ModelRole) -> type:
    names = BACKENDS[config.role]
    if config.backend not in names:
        raise BackendUnavailable(
            f"Unknown {config.role} backend {config.backend!r}.",
            f"Choose one of: {', '.join(sorted(names))}.",
        )
    module_name, class_name = names[config.backend].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # a model library missing on this machine
        raise BackendUnavailable(
            f"The {config.role} backend {config.backend!r} needs {exc.name or exc}, which is "
            "not installed here.",
            INSTALL_HINT,
        ) from exc
    return getattr(module, class_name)


def load(config: ModelRole | str):
    """Return the loaded backend for a role, loading it once per process."""
    if isinstance(config, str):
        config = role_config(config)
    key = _cache_key(config)
    backend = _loaded.get(key)
    if backend is not None:
        return backend
    with _lock:
        backend = _loaded.get(key)
        if backend is None:
            backend = backend_class(config)(config)
            _loaded[key] = backend
    return backend


def is_loaded(config: ModelRole) -> bool:
    return _cache_key(config) in _loaded


def forget(role: str | None = None) -> None:
    """Drop loaded backends (all, or one role's) and free GPU memory they held."""
    with _lock:
        for key in [k for k in _loaded if role is None or json.loads(k)[0] == role]:
            del _loaded[key]
    empty_device_cache()


def empty_device_cache() -> None:
    import sys

    torch = sys.modules.get("torch")  # only if a backend already imported it
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


# --- weights, devices, dtypes (imported by the backends, never by the web process) ---------


def resolve_weights(model: str, revision: str = "", *, what: str = "weights") -> Path:
    """A local folder for `model`: the folder itself, or its snapshot in the Hugging Face cache.

    Never downloads: `yenni_models fetch` does that where there is internet.
    """
    if not model:
        raise BackendUnavailable(f"No model is configured for the {what}.", "Set it in .env.")
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if path.is_absolute() or model.startswith((".", "~")):
        raise BackendUnavailable(
            f"The {what} folder {model} does not exist.",
            "Point the setting at a folder made with save_pretrained, or at a Hugging Face id.",
        )
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise BackendUnavailable("huggingface_hub is not installed.", INSTALL_HINT) from exc
    try:
        return Path(snapshot_download(model, revision=revision or None, local_files_only=True))
    except Exception as exc:  # LocalEntryNotFoundError, or a bad id
        raise BackendUnavailable(
            f"The {what} {model!r} are not in this machine's Hugging Face cache.",
            "Run `python manage.py yenni_models fetch` on a machine with internet (or copy the "
            "cache folder here), or point the setting at a local folder.",
        ) from exc


def resolve_device(device: str) -> str:
    import torch

    if device in ("", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable(
            f"Device {device!r} was asked for but this machine has no usable CUDA GPU.",
            "Set the role's DEVICE to cpu or auto, or install a CUDA build of torch.",
        )
    return device


def resolve_dtype(dtype: str, device: str):
    import torch

    if dtype in ("", "auto"):
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    named = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in named:
        raise BackendUnavailable(f"Unknown dtype {dtype!r}.", "Use float32, float16 or bfloat16.")
    if device == "cpu" and dtype == "float16":
        # Half precision on the CPU is slow and some ops lack kernels: keep float32 there.
        return torch.float32
    return named[dtype]


def is_out_of_memory(exc: BaseException) -> bool:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, getattr(torch, "OutOfMemoryError", ())):
        return True
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


@dataclass(frozen=True)
class RoleCheck:
    role: str
    backend: str
    model: str
    weights: str  # where the weights were found, or "" (none needed / not found)
    usable: bool
    device: str = ""
    memory: str = ""
    seconds: float = 0.0
    message: str = ""
    how_to_fix: str = ""


def check_role(config: ModelRole) -> RoleCheck:
    """Load the role's backend (as a worker would) and say whether it works here."""
    import time

    started = time.perf_counter()
    try:
        backend = load(config)
    except BackendUnavailable as exc:
        return RoleCheck(
            role=config.role,
            backend=config.backend,
            model=config.model,
            weights="",
            usable=False,
            message=exc.message,
            how_to_fix=exc.how_to_fix,
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # a broken checkpoint: say what broke
        return RoleCheck(
            role=config.role,
            backend=config.backend,
            model=config.model,
            weights="",
            usable=False,
            message=f"{type(exc).__name__}: {exc}",
            how_to_fix="Check the weights folder (was it saved completely?) and the settings.",
            seconds=time.perf_counter() - started,
        )
    usable = getattr(backend, "usable", True)
    return RoleCheck(
        role=config.role,
        backend=config.backend,
        model=getattr(backend, "model_id", config.model),
        weights=str(getattr(backend, "weights_path", "") or ""),
        usable=usable,
        device=str(getattr(backend, "device", "") or ""),
        memory=memory_report(getattr(backend, "device", "")),
        seconds=time.perf_counter() - started,
        message=getattr(backend, "status_message", ""),
        how_to_fix=getattr(backend, "how_to_fix", ""),
    )


def memory_report(device: str) -> str:
    """Free/total memory of the device the backend runs on (the process's RSS on the CPU)."""
    import resource
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and str(device).startswith("cuda") and torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info(torch.device(device))
        used = torch.cuda.memory_allocated(torch.device(device))
        return (
            f"{used / 2**30:.1f} GiB allocated, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free"
        )
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return f"process peak {rss_kib / 2**20:.2f} GiB RAM"
