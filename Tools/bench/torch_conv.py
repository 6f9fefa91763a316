#!/usr/bin/env python3
"""PyTorch side of `s2igan bench conv`: the same convolution shapes, passes and timing rule.

Pinned: torch 2.15.0 (CPU execution; oneDNN for convolutions), numpy 2.4.6.
Install into a virtualenv outside the repository:
    python3 -m venv ../venv && ../venv/bin/pip install torch==2.15.0 numpy==2.4.6
Run from the repository root (one configuration per process, nothing else running):
    ../venv/bin/python Tools/bench/torch_conv.py --threads 2 [--channels-last] > conv_torch.jsonl

Each JSON line has the fields of the Swift benchmark: case, pass (forward, backward_input,
backward_weight), ms_median, gflops_median (forward FLOPs / time, 2 per multiply-add).
The backward passes call aten.convolution_backward with one output requested, which is what
autograd runs for a convolution whose input (or weight) alone needs a gradient.
"""
import argparse
import json
import os
import sys

from timing import median_ms


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=24)
    p.add_argument("--seconds", type=float, default=0.4, help="timed work per configuration")
    p.add_argument("--channels-last", action="store_true", help="use the channels_last memory format")
    p.add_argument("--only", default="", help="comma-separated case names")
    return p.parse_args()


# name, in channels, out channels, input size, kernel, stride, padding (as Sources/Bench/ConvBenchmark.swift)
CASES = [
    ("d64_conv1", 3, 64, 64, 4, 2, 1), ("d64_conv2", 64, 128, 32, 4, 2, 1), ("d64_conv3", 128, 256, 16, 4, 2, 1),
    ("d64_conv4", 256, 512, 8, 4, 2, 1), ("d128_conv1", 3, 64, 128, 4, 2, 1), ("d256_conv1", 3, 64, 256, 4, 2, 1),
    ("d256_conv2", 64, 128, 128, 4, 2, 1), ("d256_conv3", 128, 256, 64, 4, 2, 1), ("d256_conv4", 256, 512, 32, 4, 2, 1),
    ("d256_down1", 512, 1024, 16, 4, 2, 1), ("d256_down2", 1024, 2048, 8, 4, 2, 1),
    ("g64_up", 128, 128, 64, 3, 1, 1), ("g64_joint", 192, 128, 64, 3, 1, 1), ("g64_res", 64, 128, 64, 3, 1, 1),
    ("g128_up", 128, 64, 128, 3, 1, 1), ("g128_joint", 160, 64, 128, 3, 1, 1), ("g128_res", 32, 64, 128, 3, 1, 1),
    ("g256_up", 64, 32, 256, 3, 1, 1), ("g256_image", 16, 3, 256, 3, 1, 1),
]


def main():
    args = parse()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    only = set(filter(None, args.only.split(",")))
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    for name, cin, cout, size, k, s, p in CASES:
        if only and name not in only:
            continue
        x = torch.randn(args.batch, cin, size, size).contiguous(memory_format=fmt)
        w = (torch.randn(cout, cin, k, k) * 0.05).contiguous(memory_format=fmt)
        with torch.no_grad():
            y = F.conv2d(x, w, None, s, p)
            gy = torch.randn_like(y).contiguous(memory_format=fmt)
            oh = y.shape[2]
            flops = 2.0 * args.batch * cout * oh * oh * cin * k * k
            passes = {
                "forward": lambda: F.conv2d(x, w, None, s, p),
                "backward_input": lambda: torch.ops.aten.convolution_backward(
                    gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, [True, False, False]),
                "backward_weight": lambda: torch.ops.aten.convolution_backward(
                    gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, [False, True, False]),
            }
            for pass_name, fn in passes.items():
                ms, runs = median_ms(fn, args.seconds)
                row = {"bench": "conv", "lib": "torch", "torch": torch.__version__, "threads": args.threads,
                       "layout": "channels_last" if args.channels_last else "nchw", "case": name, "pass": pass_name,
                       "batch": args.batch, "in_channels": cin, "out_channels": cout, "size": size, "kernel": k,
                       "stride": s, "padding": p, "ms_median": ms, "iters": runs, "gflops_median": flops / (ms * 1e6)}
                print(json.dumps(row, sort_keys=True), flush=True)


if __name__ == "__main__":
    sys.exit(main())
