#!/usr/bin/env python3
"""PyTorch side of `s2igan bench gru`: the SEN's GRU (input 128, hidden 512, 2 layers, bidirectional,
batch first) over padded batches with lengths 75-175, forward (no grad) and forward+backward.

Pinned: torch 2.15.0 (CPU), numpy 2.4.6. Install into a virtualenv outside the repository:
    python3 -m venv ../venv && ../venv/bin/pip install torch==2.15.0 numpy==2.4.6
Run from the repository root, one configuration per process:
    ../venv/bin/python Tools/bench/torch_gru.py --threads 2 --variant packed     # as the reference runs it
    ../venv/bin/python Tools/bench/torch_gru.py --threads 2 --variant unpacked   # same net on the padded tensor
The lengths are drawn like the Swift benchmark's (uniform 75..175, the first one 175), not the same numbers.
"""
import argparse
import json
import os

from timing import median_ms


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=0.4)
    p.add_argument("--batches", default="32,128")
    p.add_argument("--variant", choices=["packed", "unpacked"], default="packed")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gru = torch.nn.GRU(128, 512, num_layers=2, bidirectional=True, batch_first=True)
    for batch in map(int, args.batches.split(",")):
        lengths = torch.randint(75, 176, (batch,))
        lengths[0] = 175
        x = torch.randn(batch, 175, 128)
        g = torch.randn(batch, 175, 1024)

        def run():
            if args.variant == "unpacked":
                return gru(x)[0]
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            return pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=175)[0]

        def forward():
            with torch.no_grad():
                run()

        def training():
            gru.zero_grad()
            (run() * g).sum().backward()

        for name, fn in (("forward", forward), ("forward_backward", training)):
            ms, runs = median_ms(fn, args.seconds, most=200)
            print(json.dumps({"bench": "gru", "lib": "torch", "torch": torch.__version__, "threads": args.threads,
                              "variant": args.variant, "pass": name, "batch": batch, "padded_steps": 175,
                              "mean_length": float(lengths.float().mean()), "ms_median": ms, "iters": runs},
                             sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
