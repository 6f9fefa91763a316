#!/usr/bin/env python3
"""Which training class each test caption's SEN embedding is nearest to, and how far apart the petal colours of the
training captions are (Docs/results.md, the orange captions; Docs/SEN.md, tied_best).

Usage: python sen_nearest_class.py DATA SEN
DATA is a spoken-flowers root (spoken-flowers.json, train/ and test/ with filenames.pickle); SEN is a SEN run with
speech_embeddings_{train,test}.safetensors (s2igan sen extract). Rows of an embeddings file follow the split's
filenames.pickle. Each training class gets the mean of its captions' embeddings; each test caption is assigned the
class of highest cosine similarity. Prints, per test class (colour, petal count), the classes its captions land on.
Then, per petal colour of the training captions: the mean distance of its captions' (unit) embeddings from their
colour's centroid ("spread") and the distance from that centroid to the nearest other colour's ("nearest").

Requires: numpy, safetensors.
"""
import json
import pickle
import sys
from collections import Counter

import numpy as np
from safetensors.numpy import load_file

data, sen = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{data}/spoken-flowers.json"))
colours = ["red", "yellow", "blue", "white", "pink", "orange", "purple"]
classes = {c["id"]: (colours[c["color"]], c["petals"]) for c in manifest["classes"]}
class_of = {i["key"]: i["flower"]["classID"] for i in manifest["images"]}


def split(name):
    keys = pickle.load(open(f"{data}/{name}/filenames.pickle", "rb"))
    rows = load_file(f"{sen}/speech_embeddings_{name}.safetensors")
    return [(class_of[k.replace("\\", "/")], rows[str(i)]) for i, k in enumerate(keys)]


sums = {}
for cls, rows in split("train"):
    sums.setdefault(cls, []).extend(rows)
ids = sorted(sums)
centroids = np.stack([np.mean(sums[c], 0) for c in ids])
centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)

landed = {}
for cls, rows in split("test"):
    for row in rows:
        nearest = ids[int(np.argmax(centroids @ (row / np.linalg.norm(row))))]
        landed.setdefault(classes[cls], Counter())[classes[nearest]] += 1
for test_class, counts in sorted(landed.items()):
    print(test_class, "->", ", ".join(f"{c[0]}-{c[1]}: {n}" for c, n in counts.most_common()))

by_colour = {}
for cls, rows in split("train"):
    by_colour.setdefault(classes[cls][0], []).extend(rows)
colour_centroids = {c: np.mean(rows, 0) for c, rows in by_colour.items()}
print("training captions, per petal colour: spread / nearest other colour")
for c in colours:
    if c not in by_colour:
        continue
    spread = np.mean([np.linalg.norm(r - colour_centroids[c]) for r in by_colour[c]])
    distance, other = min((np.linalg.norm(colour_centroids[c] - colour_centroids[o]), o) for o in colour_centroids if o != c)
    print(f"  {c}: {spread:.2f} / {distance:.2f} ({other})")
