"""PyTorch side of `s2igan bench fid`: pytorch-fid's own end-to-end statistics on a folder of images.

Pinned: torch 2.15.0, torchvision 0.29.2, pytorch-fid 0.3.0, numpy 2.4.6 (pip, in a virtualenv outside the repo).

    python Tools/bench/torch_fid.py --images DIR [--threads 2] [--batch 50] [--runs 1]

It does what `python -m pytorch_fid --save-stats DIR out.npz` does (PIL decode, ToTensor, the FID Inception
network with its bilinear resize to 299, pool3 features, numpy mean and covariance) with pytorch-fid's default
data-loader workers (one per core, at most 8), but with random weights: the FID weights file is not fetched
(there is no network here), which does not change the cost. Prints one JSON line like the Swift command.
"""
import argparse
import json
import os
import time

p = argparse.ArgumentParser()
p.add_argument("--images", required=True)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=50)
p.add_argument("--runs", type=int, default=1)
args = p.parse_args()
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch
import pytorch_fid.inception as fid_inception
from pytorch_fid import fid_score

torch.set_num_threads(args.threads)
torch.manual_seed(0)


def random_state_dict():
    # The FID network as fid_inception_v3() builds it, before it loads the published weights.
    net = fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = fid_inception.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = fid_inception.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = fid_inception.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = fid_inception.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = fid_inception.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = fid_inception.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = fid_inception.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = fid_inception.FIDInceptionE_1(1280)
    net.Mixed_7c = fid_inception.FIDInceptionE_2(2048)
    return net.state_dict()


# No download: the published weights are replaced by random ones of the same network (same cost).
fid_inception.load_state_dict_from_url = lambda *a, **k: random_state_dict()
model = fid_inception.InceptionV3([fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()

files = sorted(os.path.join(root, f) for root, _, names in os.walk(args.images) for f in names
               if f.lower().endswith((".png", ".jpg", ".jpeg")))
try:
    workers = min(len(os.sched_getaffinity(0)), 8)
except AttributeError:
    workers = min(os.cpu_count() or 1, 8)

fid_score.calculate_activation_statistics(files[:args.batch], model, args.batch, 2048, "cpu", workers)  # warm-up
times = []
for _ in range(max(1, args.runs)):
    t0 = time.perf_counter()
    mu, sigma = fid_score.calculate_activation_statistics(files, model, args.batch, 2048, "cpu", workers)
    times.append(time.perf_counter() - t0)
times.sort()
seconds = times[len(times) // 2]
print(json.dumps({"bench": "fid_end_to_end", "lib": "pytorch-fid", "threads": args.threads, "workers": workers,
                  "images": len(files), "batch": args.batch, "runs": len(times), "seconds": seconds,
                  "img_per_s": len(files) / seconds, "ms_per_img": seconds * 1000 / len(files)}, sort_keys=True))
