"""Peak memory does not grow with the image: a scan of an image eight times larger peaks about the same."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _image(tmp: Path, name: str, files: int) -> Path:
    src = tmp / f"{name}-src"
    rng = random.Random(name)
    for i in range(files):
        d = src / f"d{i % 16}"
        d.mkdir(parents=True, exist_ok=True)
        if i % 2:
            data = rng.randbytes(64 * 1024)
        else:
            data = ("".join(f"{rng.random():.8f} status row {j} of batch {i}\n" for j in range(1500))).encode()
        (d / f"f{i}.bin").write_bytes(data[: 64 * 1024])
    image = tmp / f"{name}.img"
    size_mb = files * 64 // 1024 * 2 + 8
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(src), str(image), f"{size_mb}M"], check=True)
    return image


def _peak_rss_kib(image: Path, case: Path, workers: int) -> int:
    cmd = [sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--workers", str(workers),
           "--quiet"]
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.parametrize("workers", [1, 2])
def test_peak_memory_does_not_grow_with_image_size(tmp_path: Path, workers: int) -> None:
    small = _image(tmp_path, "small", 32)  # 2 MiB of files
    large = _image(tmp_path, "large", 256)  # 16 MiB of files, 8x
    rss_small = _peak_rss_kib(small, tmp_path / f"s{workers}.db", workers)
    rss_large = _peak_rss_kib(large, tmp_path / f"l{workers}.db", workers)
    print(json.dumps({"workers": workers, "small_kib": rss_small, "large_kib": rss_large}))
    # the largest single process of each run; 8x the data may not cost more than a quarter more memory
    assert rss_large <= rss_small * 1.25 + 16 * 1024
