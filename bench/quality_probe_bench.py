"""The quality probe over a library of real media files.

Run: ``python bench/quality_probe_bench.py [--files 2000] [--workers 0]``. A few files are made by ffmpeg
(tagged audio and subtitle tracks, x264 and HEVC) and copied under ``--files`` paths of a library folder, then:

- baseline: a serial loop running ``ffprobe -print_format json -show_format -show_streams`` on every file,
  as a shell loop would (same files, same run);
- MMS: the quality scan (app/quality/service.py), ffprobe ``--workers`` at once (0: the setting's default,
  one per CPU core), classifying and caching every file;
- cache: a second scan, which only stats the files (the cache holds path + size + mtime).

Targets (issue 15): the scan at least 1.7 times faster than the serial loop on 2 cores; the second scan
under 1 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.media import make_tagged_video  # noqa: E402

MODELS = (dict(audio=[("fre", "VFF"), ("eng", "")], size="1920x800"),
          dict(audio=[("eng", "")], subtitles=["fre"], size="1280x720"),
          dict(audio=[("fre", "VFQ")], size="1280x720", codec="libx265"),
          dict(audio=[("fre", ""), ("fre", "VFQ")], size="3840x1600", codec="libx265", hdr=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mms-quality-bench-"))
    try:
        models = [make_tagged_video(folder / "models" / f"m{n}.mkv", **spec) for n, spec in enumerate(MODELS)]
        library = folder / "Films"
        paths = []
        for n in range(args.files):
            path = library / f"Film {n:05d} ({1950 + n % 70})" / f"Film.{n:05d}.mkv"
            path.parent.mkdir(parents=True)
            shutil.copyfile(models[n % len(models)], path)
            paths.append(path)

        start = time.perf_counter()
        for path in paths:
            subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                            str(path)], capture_output=True, check=True)
        serial_s = time.perf_counter() - start

        os.environ.update({"MMS_INSTANCE_PATH": str(folder / "instance"), "MMS_BACKUP_PATH": str(folder / "b")})
        from app import create_app
        from app.quality import service

        app = create_app({"SCHEDULER_ENABLED": False})
        app.extensions["mms"].settings.save({"movies_path": str(library), "quality_probe_workers": args.workers})
        with app.app_context():
            workers = service.workers(app.extensions["mms"].settings.load())
            start = time.perf_counter()
            first = service.scan()
            scan_s = time.perf_counter() - start
            start = time.perf_counter()
            second = service.scan()
            cached_s = time.perf_counter() - start
        assert first["probed"] == args.files and second["cached"] == args.files, (first, second)
        ratio = serial_s / scan_s
        print(f"quality probe: {args.files} files, {os.cpu_count()} cores, {workers} ffprobe at once")
        print(f"baseline serial ffprobe loop: {serial_s:.2f} s ({1000 * serial_s / args.files:.1f} ms a file)")
        print(f"MMS scan: {scan_s:.2f} s; speed-up {ratio:.2f}x over the serial loop (target >= 1.7x on 2 cores: "
              f"{'met' if ratio >= 1.7 else 'MISSED'})")
        print(f"second scan (cache): {cached_s:.3f} s (target < 1 s: {'met' if cached_s < 1 else 'MISSED'})")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
