#!/usr/bin/env python3
"""librosa side of `s2igan bench mel`: the same recipe (librosa 0.11 with pad_mode='reflect'), the same
5 s utterance design, and a tree of the same size read with librosa.load, featurised and saved as the
reference does (numpy object arrays, one file per image folder).

Pinned: librosa 0.11.0, numpy 2.4.6, soundfile 0.14.0. Install into a virtualenv outside the repository:
    python3 -m venv ../venv && ../venv/bin/pip install librosa==0.11.0 soundfile==0.14.0 numpy==2.4.6
Run from the repository root:
    ../venv/bin/python Tools/bench/librosa_mel.py [--files 1000]
"""
import argparse
import json
import os
import shutil
import tempfile
import time

from timing import median_ms


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=0.4)
    args = p.parse_args()
    import librosa
    import numpy as np
    import soundfile as sf

    sr, n_fft, hop = 22050, 551, 220

    def signal(seconds, seed):
        rng = np.random.default_rng(seed)
        t = np.arange(int(seconds * sr)) / sr
        env = 0.5 * (1 - np.cos(2 * np.pi * 4 * t))
        voice = 0.3 * np.sin(2 * np.pi * 150 * t) + 0.2 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 2500 * t)
        return (env * voice + 0.01 * rng.standard_normal(len(t))).astype(np.float32)

    def features(y):
        s = librosa.feature.melspectrogram(y=y, sr=sr, n_mels=40, n_fft=n_fft, hop_length=hop, pad_mode="reflect")
        f = np.log(s + 1e-6)
        f = (f - f.mean(axis=1)[:, None]) / (f.std(axis=1) + 1e-16)[:, None]
        return f.T.astype("float32")

    y = signal(5, 1)
    ms, runs = median_ms(lambda: features(y), args.seconds)
    base = {"bench": "mel", "lib": "librosa", "librosa": librosa.__version__}
    print(json.dumps({**base, "case": "utterance_5s", "ms_median": ms, "iters": runs, "realtime_factor": 5000 / ms}), flush=True)

    root = tempfile.mkdtemp(prefix="librosa-mel-bench-")
    try:
        folders = {}
        for i in range(args.files):
            folder = os.path.join(root, "audio", f"image_{i // 10}")
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"caption_{i % 10}.wav")
            sf.write(path, signal(3, i), sr, subtype="PCM_16")
            folders.setdefault(folder, []).append(path)
        start = time.perf_counter()
        for folder, paths in sorted(folders.items()):
            mats = [features(librosa.load(p, sr=sr)[0]) for p in sorted(paths)]
            out = np.empty(len(mats), dtype=object)
            out[:] = mats
            np.save(folder + ".npy", out, allow_pickle=True)
        seconds = time.perf_counter() - start
        print(json.dumps({**base, "case": "tree", "files": args.files, "seconds": seconds,
                          "files_per_second": args.files / seconds}), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
