"""Time the heuristic describer's `analyse` against a naive full-resolution version, same run.

    .venv/bin/python bench/describe.py                 # 300 JPEGs, 1080×1080
    .venv/bin/python bench/describe.py --images 100 --baseline 30 --png 20 --cv-threads 0

Images are drawn with the demo's own artwork code (demo.artwork, no Django) over the
demo's palettes, layouts, products and copy, at 1080×1080, JPEG quality 85. Everything is
rendered and held in memory first, so only the analysis is timed. It prints median, p95 and
images/s for:

- analyse: the describer as shipped (JPEG decoded at reduced scale with `draft`, thumbnail of at
  most 256 px, every measure on the thumbnail);
- naive: the same measures on the full-resolution decoded image (no draft, no thumbnail), on the
  first `--baseline` images;
- the decode step alone, both ways (draft + thumbnail against a full decode);
- analyse on PNGs (`--png`, no DCT scaling there: the full decode is paid), reported apart.

Both sides run the face cascade on a copy at most 192 px on the short side (`_count_faces`
makes that copy itself), so the naive figure is not inflated by a full-resolution cascade.

OpenCV runs single-threaded by default (`--cv-threads 1`), so the figure is per core; the
describe job's other work (storage reads, DB writes) is not included.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_parser, machine_load_printed, percentile


def render(count: int, seed: int, image_format: str) -> list[bytes]:
    from demo import cast
    from demo.artwork import LAYOUTS, ArtSpec, draw

    rng = random.Random(seed)
    nodes = list(cast.NODE_CONTENT.values())
    shared = [*cast.WARM, *cast.COOL, *cast.NEUTRAL]
    images = []
    for _ in range(count):
        node = rng.choice(nodes)
        palette = rng.choice([*node.brand_palettes, *shared])
        layout = rng.choice(LAYOUTS)
        spec = ArtSpec(
            width=1080,
            height=1080,
            layout=layout,
            palette=palette,
            product=rng.choice(node.products),
            people=rng.randint(1, 3) if layout == "hero" else rng.randint(0, 2),
            headline=rng.choice(node.headlines),
            offer=rng.choice(node.offers),
            call_to_action=rng.choice(node.calls_to_action),
            brand=node.brand,
            detail_seed=rng.randrange(2**31),
            image_format=image_format,
        )
        images.append(draw(spec))
    return images


def naive_decode(data: bytes):
    """Decode at full resolution: no draft, no thumbnail."""
    import numpy as np
    from PIL import Image

    from generation.backends.describe import heuristic as heuristic

    image = Image.open(io.BytesIO(data))
    image.load()
    rgb = heuristic._to_rgb(image)
    return heuristic.Decoded(np.asarray(rgb), image.width, image.height)


def naive_analyse(data: bytes):
    """The same measures on the full-resolution image: no draft, no thumbnail."""
    from generation.backends.describe import heuristic as heuristic

    return heuristic.compose(heuristic.measure(naive_decode(data)))


def timed(
    function: Callable[[bytes], object], images: list[bytes]
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds per image. CPU time is the steadier figure on a shared
    machine: it does not count the time another process held the core."""
    function(images[0])  # warm-up: cascade load, first-call allocations
    wall, cpu = [], []
    for data in images:
        started, started_cpu = time.perf_counter(), time.process_time()
        function(data)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def report(label: str, timings: tuple[list[float], list[float]]) -> float:
    wall, cpu = timings
    median = statistics.median(wall)
    p95 = percentile(wall, 0.95)
    rate = len(wall) / sum(wall)
    cpu_median = statistics.median(cpu)
    print(
        f"{label:<22} n={len(wall):<4} median {median * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms  "
        f"{rate:6.1f} images/s  (CPU: median {cpu_median * 1000:6.2f} ms, "
        f"{len(cpu) / sum(cpu):6.1f} images/s)"
    )
    return median


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--images", type=int, default=300, help="JPEGs to analyse")
    parser.add_argument("--baseline", type=int, default=60, help="of those, naively analysed")
    parser.add_argument("--png", type=int, default=30, help="PNGs to analyse (0: none)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cv-threads", type=int, default=1, help="cv2.setNumThreads (0: OpenCV's default)"
    )
    args = parser.parse_args()

    with machine_load_printed():
        import cv2

        from generation.backends.describe.heuristic import analyse, decode

        if args.cv_threads:
            cv2.setNumThreads(args.cv_threads)
        started = time.perf_counter()
        jpegs = render(args.images, args.seed, "JPEG")
        pngs = render(args.png, args.seed + 1, "PNG") if args.png else []
        size = sum(len(data) for data in jpegs) / max(1, len(jpegs)) / 1024
        print(
            f"rendered {len(jpegs)} JPEGs (mean {size:.0f} KiB) and {len(pngs)} PNGs, 1080×1080, "
            f"in {time.perf_counter() - started:.1f} s; OpenCV threads: {cv2.getNumThreads()}"
        )

        fast = report("analyse (JPEG)", timed(analyse, jpegs))
        baseline_images = jpegs[: max(1, min(args.baseline, len(jpegs)))]
        slow = report("naive full-res (JPEG)", timed(naive_analyse, baseline_images))
        print(f"speed-up, median: {slow / fast:.1f}× (naive / analyse)")
        draft = report("  of which decode", timed(decode, jpegs))
        full = report("  naive decode", timed(naive_decode, baseline_images))
        print(f"  decode speed-up, median: {full / draft:.1f}×")
        if pngs:
            report("analyse (PNG)", timed(analyse, pngs))
        sample = analyse(jpegs[0])
        print(f"\nsample: {sample.text}\n        {sample.text_es}\n        {sample.attributes}")


if __name__ == "__main__":
    main()
