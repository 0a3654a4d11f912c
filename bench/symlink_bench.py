"""Phase 1 on 100,000 symlinks (10 % broken) vs ``find ROOT -xtype l``; phase 2 (basic) on 200 small media
files vs a serial ffprobe loop. Same run, warm cache.

Run: ``python bench/symlink_bench.py [--links 100000] [--media 200]``. Targets: phase 1 <= 1.5 x find;
phase 2 >= 1.7 x faster than serial ffprobe on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.utils.media import health  # noqa: E402


def build(base: Path, links: int) -> Path:
    """``links`` symlinks in 100 show folders into a target folder of small files; every tenth broken."""
    targets, media = base / "targets", base / "media"
    targets.mkdir()
    for i in range(links):
        folder = media / f"Show {i % 100:03d}" / f"Season {i % 7 + 1:02d}"
        if i < 700:
            folder.mkdir(parents=True, exist_ok=True)
        target = targets / f"f{i}.mkv"
        if i % 10:
            target.write_bytes(b"\x1a\x45\xdf\xa3" * 1024)
        os.symlink(target, folder / f"E{i:06d}.mkv")
    return media


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--media", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        media = build(base, args.links)
        subprocess.run(["find", str(media), "-xtype", "l"], capture_output=True, check=True)  # warm the cache
        health.basic_check([str(media)], min_size=1024, workers=os.cpu_count() or 2)  # warm run (workers persist)
        start = time.perf_counter()
        found = subprocess.run(["find", str(media), "-xtype", "l"], capture_output=True, text=True, check=True)
        find_s = time.perf_counter() - start
        start = time.perf_counter()
        findings, _passed, count = health.basic_check([str(media)], min_size=1024, workers=os.cpu_count() or 2)
        ours_s = time.perf_counter() - start
        broken = sum(1 for f in findings if f.category == "broken_link")
        assert broken == len(found.stdout.splitlines()) and count == args.links, (broken, count)
        print(f"phase 1: {count} links ({broken} broken) in {ours_s:.2f} s; find -xtype l {find_s:.2f} s; "
              f"ratio {ours_s / find_s:.2f} (target <= 1.5: {'met' if ours_s / find_s <= 1.5 else 'MISSED'})")

        sample = base / "sample.mkv"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "1",
                        "-c:v", "libx264", "-preset", "ultrafast", str(sample)], check=True)
        files = []
        for i in range(args.media):
            path = base / "probe" / f"m{i}.mkv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(sample.read_bytes())
            files.append(str(path))
        start = time.perf_counter()
        for path in files:
            subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", path],
                           capture_output=True, check=True)
        serial_s = time.perf_counter() - start
        workers = os.cpu_count() or 2
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda p: health.probe(p, "basic"), files))
        parallel_s = time.perf_counter() - start
        assert results == [None] * len(files)
        speedup = serial_s / parallel_s
        print(f"phase 2 (basic): {len(files)} files in {parallel_s:.2f} s with {workers} workers; serial ffprobe "
              f"{serial_s:.2f} s; {speedup:.2f}x faster (target >= 1.7: {'met' if speedup >= 1.7 else 'MISSED'})")
    health.shutdown_workers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
