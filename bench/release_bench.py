"""Parse + score 10,000 distinct release names, cold (no cache), vs the bare parsers in the same run.

Run: ``python bench/release_bench.py [--names N]``. Target: >= 2,000 names/s, so a 500-result search is
parsed and scored in under 250 ms. Names are built from ``shared/corpus`` titles and real tag sets,
each one distinct; every name is parsed once (the parsers keep no cache between names).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PTT import parse_title  # noqa: E402

from app.utils.media import releases  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TAGS = ["MULTi.VFF", "MULTI.VF2", "VOSTFR", "TRUEFRENCH", "FRENCH", "VFQ", "SUBFRENCH", "MULTi", "VO", ""]
VIDEO = ["2160p.UHD.BluRay.REMUX.HDR.HEVC", "1080p.WEB-DL.x264", "1080p.BluRay.x265", "720p.HDTV.x264",
         "1080p.WEBRip.AV1", "DVDRip.XviD", "HDCAM.x264", "2160p.WEB.DV.HDR10.H265"]
AUDIO = ["DTS-HD.MA.7.1", "AC3.5.1", "EAC3.Atmos", "AAC2.0", "TrueHD.Atmos"]
GROUPS = ["FW", "SUPPLY", "QTZ", "BONE", "NoTag", "TFA", "LiBERTY", "RiPiT"]


def make_names(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct names: corpus titles x seasons/years x French tags x video x audio x groups."""
    records = json.loads((CORPUS / "french" / "french_releases.json").read_text())["records"]
    titles = sorted({releases.parse_release(r["name"]).title for r in records} - {""})
    rng = random.Random(seed)
    names: set[str] = set()
    for i in itertools.count():
        title = rng.choice(titles).replace(" ", ".")
        marker = f"S{rng.randint(1, 12):02d}" + (f"E{rng.randint(1, 24):02d}" if rng.random() < 0.7 else "") \
            if rng.random() < 0.5 else str(rng.randint(1970, 2025))
        parts = [title, marker, rng.choice(TAGS), rng.choice(VIDEO), rng.choice(AUDIO)]
        names.add(".".join(p for p in parts if p) + f"-{rng.choice(GROUPS)}{i % 97}")
        if len(names) >= count:
            return sorted(names)
    raise AssertionError


def rate(label: str, fn, names: list[str]) -> float:
    start = time.perf_counter()
    fn(names)
    elapsed = time.perf_counter() - start
    per_second = len(names) / elapsed
    print(f"{label:<46} {len(names):>6} names in {elapsed:6.2f} s = {per_second:8.0f} names/s")
    return per_second


def mms(names: list[str]) -> None:
    parsed = releases.parse_many(names)
    for i, p in enumerate(parsed):
        releases.score_release(p, i % 80)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--guessit", type=int, default=300, help="names given to guessit (it is slow)")
    args = parser.parse_args()
    names = make_names(args.names)
    releases._worker_pool().submit(int).result()  # start the workers outside the timing (they persist in the app)
    ours = rate("MMS parse + French class + score (cold)", mms, names)
    single = rate("MMS parse + score, one process", lambda n: [releases.score_release(p, 5) for p in
                                                              releases.parse_many(n, parallel=False)], names[:3000])
    bare = rate("bare parsett (parse_title, all handlers)", lambda n: [parse_title(x) for x in n], names[:3000])
    try:
        from guessit import guessit

        guess = rate("bare guessit", lambda n: [guessit(x) for x in n], names[:args.guessit])
        print(f"ratio MMS / guessit: {ours / guess:.1f}x")
    except ImportError:
        print("guessit not installed: skipped")
    print(f"ratio MMS / bare parsett: {ours / bare:.2f}x   (one process: {single / bare:.2f}x)")
    print(f"500-result search: {500 / single * 1000:.0f} ms in one process")
    print(f"target >= 2,000 names/s: {'met' if ours >= 2000 else 'MISSED'} ({ours:.0f})")
    releases.shutdown_workers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
