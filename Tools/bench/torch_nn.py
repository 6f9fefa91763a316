#!/usr/bin/env python3
"""PyTorch side of `s2igan bench mlp` and `s2igan bench convnet`: the same models, data sizes and step.

Pinned: torch 2.15.0 (CPU), numpy 2.4.6. Install into a virtualenv outside the repository:
    python3 -m venv ../venv && ../venv/bin/pip install torch==2.15.0 numpy==2.4.6
Run from the repository root, one configuration per process, nothing else running:
    ../venv/bin/python Tools/bench/torch_nn.py mlp --threads 2
    ../venv/bin/python Tools/bench/torch_nn.py convnet --threads 2
Prints one JSON line with ms_median (forward + backward + optimiser step, median of the timed steps).
"""
import argparse
import json
import os

from timing import median_ms


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=["mlp", "convnet"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=0.4)
    p.add_argument("--batch", type=int, default=0, help="default: 128 (mlp), 24 (convnet)")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    row = {"lib": "torch", "torch": torch.__version__, "threads": args.threads, "bench": args.model}
    if args.model == "mlp":
        batch = args.batch or 128
        sizes = [2048, 1024, 1024, 150]
        layers = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        model = nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(batch, sizes[0])
        t = torch.randint(0, sizes[-1], (batch,))

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), t).backward()
            opt.step()
        row.update(batch=batch, layers=sizes)
    else:
        batch = args.batch or 24
        model = nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
            nn.Conv2d(256, 512, 4, 2, 1, bias=False), nn.BatchNorm2d(512), nn.LeakyReLU(0.2),
            nn.Conv2d(512, 1, 4, 4), nn.Sigmoid(), nn.Flatten())
        opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
        x = torch.rand(batch, 3, 64, 64) * 2 - 1
        y = torch.ones(batch, 1)

        def step():
            opt.zero_grad()
            F.binary_cross_entropy(model(x), y).backward()
            opt.step()
        row.update(batch=batch, size=64)
    ms, runs = median_ms(step, args.seconds)
    row.update(ms_median=ms, iters=runs)
    print(json.dumps(row, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
