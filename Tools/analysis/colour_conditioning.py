#!/usr/bin/env python3
"""How well the generator's condition tells the petal colours apart (Docs/results.md, the SEN section).

Usage:
  python colour_conditioning.py mu DATA SEN NETG
      DATA a spoken-flowers root, SEN a SEN run with speech_embeddings_train.safetensors, NETG a generator
      (netG_<N>.safetensors). Runs the generator's conditioning augmentation (ca_net.fc, then GLU) on every training
      caption's embedding times the generator's embedding_scale, and prints, per petal colour, the mean distance of
      the captions' μ from their colour's centroid ("spread") and the distance to the nearest other colour's
      centroid, and the median σ with the norm of the conditioning noise it implies (√c · σ).
  python colour_conditioning.py warm FOLDER PATTERN
      The green value of warm (petal-coloured red / orange / yellow) pixels: for each image matching PATTERN under
      FOLDER (a glob, for example 'class_00020/*_64_*.png' in a `gan generate --split test` folder, or
      'class_00020/*.jpg' in DATA/Oxford102/images, resized to 64 px), the median green value of its pixels with
      red > 150 and blue < 110; prints the 10th, 50th and 90th percentiles over the images.

Requires: numpy, safetensors, Pillow.
"""
import glob
import json
import pickle
import sys

import numpy as np


def mu_space(data, sen, netg):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    with safe_open(netg, "np") as f:
        weights = {k: f.get_tensor(k) for k in ("ca_net.fc.weight", "ca_net.fc.bias")}
        architecture = json.loads((f.metadata() or {}).get("architecture", "{}"))
    scale = float(architecture.get("embedding_scale", 1))
    manifest = json.load(open(f"{data}/spoken-flowers.json"))
    colours = ["red", "yellow", "blue", "white", "pink", "orange", "purple"]
    colour_of = {i["key"]: colours[i["flower"]["color"]] for i in manifest["images"]}
    keys = pickle.load(open(f"{data}/train/filenames.pickle", "rb"))
    rows = load_file(f"{sen}/speech_embeddings_train.safetensors")
    embeddings = np.concatenate([rows[str(i)] for i in range(len(keys))]) * scale
    labels = np.array([colour_of[k.replace("\\", "/")] for k in keys for _ in range(len(rows["0"]))])
    x = embeddings @ weights["ca_net.fc.weight"].T + weights["ca_net.fc.bias"]
    half = x.shape[1] // 2
    h = x[:, :half] / (1 + np.exp(-x[:, half:]))
    c = half // 2
    mu, sigma = h[:, :c], np.exp(0.5 * h[:, c:])
    centroids = {k: mu[labels == k].mean(0) for k in colours if (labels == k).any()}
    print(f"embedding_scale {scale:g}; median sigma {np.median(sigma):.3f}, noise norm about {np.sqrt(c) * np.median(sigma):.1f}")
    print("training captions in mu space, per petal colour: spread / nearest other colour")
    for k, centre in centroids.items():
        spread = np.linalg.norm(mu[labels == k] - centre, axis=1).mean()
        distance, other = min((np.linalg.norm(centre - centroids[o]), o) for o in centroids if o != k)
        print(f"  {k}: {spread:.1f} / {distance:.1f} ({other})")


def warm(folder, pattern):
    from PIL import Image

    values = []
    for path in sorted(glob.glob(f"{folder}/{pattern}")):
        image = Image.open(path).convert("RGB")
        if image.size != (64, 64):
            image = image.resize((64, 64), Image.BILINEAR)
        p = np.asarray(image).astype(float).reshape(-1, 3)
        petals = p[(p[:, 0] > 150) & (p[:, 2] < 110)]
        if len(petals) >= 10:
            values.append(np.median(petals[:, 1]))
    q = np.percentile(values, [10, 50, 90])
    print(f"{len(values)} images; median green of warm pixels: 10 % {q[0]:.0f}, 50 % {q[1]:.0f}, 90 % {q[2]:.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "mu":
        mu_space(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "warm":
        warm(*sys.argv[2:])
    else:
        sys.exit(__doc__)
