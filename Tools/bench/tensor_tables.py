#!/usr/bin/env python3
"""Markdown tables for Docs/benchmarks.md from the JSON lines run_tensor_benchmarks.sh writes."""
import json
import sys
from pathlib import Path


def rows(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def gemm_table(d):
    swift = {(r["M"], r["N"], r["K"]): r for r in rows(d / "gemm_swift.jsonl")}
    avx512 = {(r["M"], r["N"], r["K"]): r for r in rows(d / "gemm_swift_avx512.jsonl")}
    py = {}
    for r in rows(d / "gemm_python.jsonl"):
        if r.get("threads") == 2:
            py[(r["lib"], r["M"], r["N"], r["K"])] = r
    core = next(iter(swift.values()))["openblas_core"]
    print(f"| M x N x K | s2igan (default: {core} kernels) | s2igan with OPENBLAS_CORETYPE=SkylakeX | NumPy (its OpenBLAS) | torch.mm (MKL) | s2igan / best other |")
    print("|---|---|---|---|---|---|")
    for key, r in swift.items():
        others = [x["gflops_median"] for x in (py.get(("numpy",) + key), py.get(("torch",) + key)) if x]
        h = avx512.get(key, {}).get("gflops_median", float("nan"))
        n = py.get(("numpy",) + key, {}).get("gflops_median", float("nan"))
        t = py.get(("torch",) + key, {}).get("gflops_median", float("nan"))
        best = max(others + [h]) if others else h
        print(f"| {key[0]}x{key[1]}x{key[2]} | {r['gflops_median']:.0f} | {h:.0f} | {n:.0f} | {t:.0f} | {r['gflops_median'] / best:.2f} |")


def conv_table(d):
    swift = {(r["case"], r["pass"]): r for r in rows(d / "conv_swift.jsonl")}
    torch = {(r["case"], r["pass"]): r for r in rows(d / "conv_torch.jsonl")}
    cl = {(r["case"], r["pass"]): r for r in rows(d / "conv_torch_cl.jsonl")}
    print("| case (batch 24) | shape | pass | s2igan ms | torch NCHW ms | torch channels_last ms | speed-up vs NCHW | vs best torch |")
    print("|---|---|---|---|---|---|---|---|")
    for key, r in swift.items():
        t, c = torch.get(key), cl.get(key)
        shape = f"{r['in_channels']}→{r['out_channels']} k{r['kernel']} s{r['stride']} @{r['size']}"
        tm = t["ms_median"] if t else float("nan")
        cm = c["ms_median"] if c else float("nan")
        best = min(tm, cm)
        print(f"| {key[0]} | {shape} | {key[1]} | {r['ms_median']:.1f} | {tm:.1f} | {cm:.1f} | {tm / r['ms_median']:.2f} | {best / r['ms_median']:.2f} |")


def nn_table(d):
    swift = {r["bench"]: r for r in rows(d / "nn_swift.jsonl")}
    torch = {r["bench"]: r for r in rows(d / "nn_torch.jsonl")}
    print("| step (forward + backward + Adam) | s2igan ms | torch ms | speed-up | tape overhead |")
    print("|---|---|---|---|---|")
    names = {"mlp": "MLP 2048→1024→1024→150, batch 128", "convnet": "D_NET64-shaped conv stack, batch 24 @64 px"}
    for key, title in names.items():
        s, t = swift.get(key), torch.get(key)
        if not s or not t:
            continue
        overhead = f"{s['tape_overhead_percent']:.1f} %" if "tape_overhead_percent" in s else "-"
        print(f"| {title} | {s['ms_median']:.1f} | {t['ms_median']:.1f} | {t['ms_median'] / s['ms_median']:.2f} | {overhead} |")


def gru_table(d):
    swift = {(r["batch"], r["pass"]): r for r in rows(d / "gru_swift.jsonl")}
    torch = {(r["variant"], r["batch"], r["pass"]): r for r in rows(d / "gru_torch.jsonl")}
    print("| batch | pass | s2igan ms | torch packed ms (as the reference) | torch unpacked ms | vs packed | vs unpacked |")
    print("|---|---|---|---|---|---|---|")
    for (batch, name), r in swift.items():
        p, u = torch.get(("packed", batch, name)), torch.get(("unpacked", batch, name))
        pm = p["ms_median"] if p else float("nan")
        um = u["ms_median"] if u else float("nan")
        print(f"| {batch} | {name} | {r['ms_median']:.0f} | {pm:.0f} | {um:.0f} | {pm / r['ms_median']:.2f} | {um / r['ms_median']:.2f} |")


def mel_table(d):
    if not (d / "mel_swift.jsonl").exists():
        return
    swift = {r["case"]: r for r in rows(d / "mel_swift.jsonl")}
    lib = {r["case"]: r for r in rows(d / "mel_librosa.jsonl")}
    print("| case | s2igan | librosa 0.11 | speed-up |")
    print("|---|---|---|---|")
    u, v = swift["utterance_5s"], lib["utterance_5s"]
    print(f"| 5 s utterance, log-mel + CMVN | {u['ms_median']:.2f} ms | {v['ms_median']:.2f} ms | {v['ms_median'] / u['ms_median']:.1f} |")
    u, v = swift["tree"], lib["tree"]
    print(f"| {u['files']} wav files (3 s), read + features + write | {u['files_per_second']:.0f} files/s | {v['files_per_second']:.0f} files/s | {u['files_per_second'] / v['files_per_second']:.1f} |")


def sen_step_table(d):
    if not (d / "sen_step_swift.jsonl").exists():
        return
    swift = {r["batch"]: r for r in rows(d / "sen_step_swift.jsonl")}
    torch = {(r["variant"], r["batch"]): r for r in rows(d / "sen_step_torch.jsonl") if r.get("bench") == "sen_speech_train"}
    print("| batch | s2igan ms | torch packed ms (as the reference) | torch unpacked ms | vs packed | vs unpacked |")
    print("|---|---|---|---|---|---|")
    for batch, r in swift.items():
        p, u = torch.get(("packed", batch)), torch.get(("unpacked", batch))
        pm = p["ms_median"] if p else float("nan")
        um = u["ms_median"] if u else float("nan")
        print(f"| {batch} | {r['ms_median']:.0f} | {pm:.0f} | {um:.0f} | {pm / r['ms_median']:.2f} | {um / r['ms_median']:.2f} |")


def main():
    d = Path(sys.argv[1] if len(sys.argv) > 1 else "Docs/benchmark-results")
    print("### GEMM, GFLOP/s (2 threads, median)\n")
    gemm_table(d)
    print("\n### Convolution, milliseconds per call (2 threads, median; speed-up > 1 means s2igan is faster)\n")
    conv_table(d)
    print("\n### Training steps (2 threads, median)\n")
    nn_table(d)
    print("\n### SEN GRU (input 128, hidden 512, 2 layers, bidirectional; padded to 175 steps, lengths 75-175)\n")
    gru_table(d)
    print("\n### Audio front end (2 threads)\n")
    mel_table(d)
    print("\n### SEN training step, CUB configuration with cached trunk features (captions padded to 1024 frames, 2 threads, median of 3)\n")
    sen_step_table(d)


if __name__ == "__main__":
    main()
