#!/usr/bin/env python3
"""Contrast and saturation of generated spoken-flowers images, per stage size (Docs/results.md).

Usage: python image_stats.py FOLDER [FOLDER ...]
FOLDER holds <key>_<size>_sentence<i>.png (s2igan gan generate --all-stages --keep-last), in class subfolders.
For the first 300 images of each size (sorted by path), resized to 64 x 64, values in [0, 1]: the mean colour,
the mean per-image pixel standard deviation (over pixels, per channel, then averaged) and the mean saturation
(max - min) / max over RGB.

Requires: numpy, Pillow (tested with numpy 2.x, Pillow 11).
"""
import glob
import sys

import numpy as np
from PIL import Image

for folder in sys.argv[1:]:
    for size in (64, 128, 256):
        files = sorted(glob.glob(f"{folder}/**/*_{size}_sentence*.png", recursive=True))[:300]
        if not files:
            continue
        a = np.stack([np.asarray(Image.open(f).convert("RGB").resize((64, 64)), dtype=np.float32) / 255 for f in files])
        high, low = a.max(-1), a.min(-1)
        saturation = ((high - low) / (high + 1e-6)).mean()
        print(f"{folder} {size} px, {len(files)} images: mean {a.mean((0, 1, 2)).round(3)}, "
              f"std {a.std((1, 2)).mean():.3f}, saturation {saturation:.3f}")
