"""Operators' view of the model backends: check what loads here, fetch weights, build tiny ones."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from generation.backends import runtime


class Command(BaseCommand):
    help = (
        "check: load each role's backend as a worker would and report it (exit 1 if one is "
        "unusable). fetch: download the configured weights into the Hugging Face cache (needs "
        "internet). tiny: build tiny random-weight models in a folder, for demos and tests."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="Load each configured backend and report.")
        check.add_argument("--role", choices=runtime.ROLES, action="append")
        check.add_argument("--json", action="store_true", help="Print JSON.")
        fetch = sub.add_parser("fetch", help="Download the configured weights (needs internet).")
        fetch.add_argument("--role", choices=runtime.ROLES, action="append")
        tiny = sub.add_parser("tiny", help="Build tiny random-weight models in FOLDER.")
        tiny.add_argument("folder", type=Path)

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "check":
            self._check(options["role"] or list(runtime.ROLES), as_json=options["json"])
        elif action == "fetch":
            self._fetch(options["role"] or list(runtime.ROLES))
        else:
            self._tiny(options["folder"])

    def _check(self, roles: list[str], *, as_json: bool) -> None:
        reports = [runtime.check_role(runtime.role_config(role)) for role in roles]
        if as_json:
            self.stdout.write(json.dumps([dataclasses.asdict(r) for r in reports], indent=2))
        else:
            for report in reports:
                mark = "ok  " if report.usable else "FAIL"
                self.stdout.write(f"[{mark}] {report.role}: {report.backend}")
                rows = [
                    ("model", report.model),
                    ("weights", report.weights or "(none needed)" if report.usable else ""),
                    ("device", report.device),
                    ("memory", report.memory),
                    ("load", f"{report.seconds:.2f} s"),
                    ("status", report.message),
                    ("to fix", report.how_to_fix if not report.usable else ""),
                ]
                for label, value in rows:
                    if value:
                        self.stdout.write(f"       {label:<8} {value}")
        unusable = [r.role for r in reports if not r.usable]
        if unusable:
            raise CommandError(f"Not usable here: {', '.join(unusable)} (see above).")

    def _fetch(self, roles: list[str]) -> None:
        try:
            from huggingface_hub import snapshot_download
        except ImportError as exc:
            raise CommandError(runtime.INSTALL_HINT) from exc
        wanted: list[tuple[str, str, str]] = []
        for role in roles:
            config = runtime.role_config(role)
            if config.backend in runtime.WEIGHTLESS:
                self.stdout.write(f"{role}: {config.backend} needs no weights.")
                continue
            wanted.append((role, config.model, config.revision))
            for key in ("clip_model", "refiner", "vae"):
                extra = config.options.get(key)
                if extra and not Path(extra).is_dir():
                    wanted.append((f"{role} ({key})", extra, ""))
        failures = []
        for label, model, revision in wanted:
            if Path(model).is_dir():
                self.stdout.write(f"{label}: {model} is a local folder; nothing to fetch.")
                continue
            self.stdout.write(f"{label}: downloading {model} …")
            try:
                path = snapshot_download(model, revision=revision or None)
            except Exception as exc:
                failures.append(f"{label} ({model}): {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(f"{label}: {model} is in {path}")
        if failures:
            raise CommandError(
                "Could not download:\n  "
                + "\n  ".join(failures)
                + "\nThis needs internet access to huggingface.co (and HF_TOKEN for gated models)."
                " Without it, copy a Hugging Face cache folder from a machine that has one "
                "(HF_HOME), or point the YENNI_*_MODEL settings at local folders."
            )

    def _tiny(self, folder: Path) -> None:
        try:
            from generation.backends.tiny.llm import build_tiny_llm
            from generation.backends.tiny.sdxl import build_tiny_sdxl
            from generation.backends.tiny.vision import build_tiny_blip, build_tiny_clip
        except ImportError as exc:
            raise CommandError(runtime.INSTALL_HINT) from exc
        folder = folder.expanduser().resolve()
        built = {
            "sdxl": build_tiny_sdxl(folder / "sdxl"),
            "llm": build_tiny_llm(folder / "llm"),
            "blip": build_tiny_blip(folder / "blip"),
            "clip": build_tiny_clip(folder / "clip"),
        }
        self.stdout.write("Tiny random-weight models (they draw noise; for checks, not for use):")
        for name, path in built.items():
            self.stdout.write(f"  {name}: {path}")
        self.stdout.write("To use them, set:")
        self.stdout.write(
            f"  YENNI_DESCRIBE_BACKEND=interrogator YENNI_DESCRIBE_MODEL={built['blip']} "
            f"YENNI_DESCRIBE_CLIP_MODEL={built['clip']}\n"
            f"  YENNI_PROMPT_BACKEND=llm YENNI_PROMPT_MODEL={built['llm']}\n"
            f"  YENNI_IMAGE_BACKEND=sdxl YENNI_IMAGE_MODEL={built['sdxl']} YENNI_IMAGE_SIZE=64 "
            "YENNI_IMAGE_STEPS=2"
        )
