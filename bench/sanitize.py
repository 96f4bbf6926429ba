"""What the file sanitizer costs and what it removes, per accepted type.

Builds each fixture with real encoders and writers (amparo/evidence/tests/fixtures.py: Pillow,
pillow-heif, ffmpeg, exiftool, pikepdf; each carries GPS, make, model, serial, author and
creation tool), runs `sanitize` on it --repeat times, and prints the median time, the sizes
before and after, and how many identifying exiftool tags (`exiftool -j -a -G1 -ee`) are found
before and after. Nothing needs a database.
Run: python bench/sanitize.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    from amparo.evidence import sanitize
    from amparo.evidence.tests import fixtures

    print(f"{'type':6} {'kept as':16} {'bytes in':>9} {'bytes out':>9} {'ms (median)':>11} {'tags before':>11} {'tags after':>10}")
    for kind in fixtures.ALL_KINDS:
        data = fixtures.sample(kind)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            clean = sanitize.sanitize(data, max_bytes=20 * 1024 * 1024)
            times.append((time.perf_counter() - start) * 1000)
        before, after = len(fixtures.identifying(data)), len(fixtures.identifying(clean.data))
        print(f"{kind:6} {clean.content_type:16} {len(data):9d} {len(clean.data):9d} {statistics.median(times):11.1f} {before:11d} {after:10d}")


if __name__ == "__main__":
    main()
