#!/usr/bin/env bash
# One run of the Tensor, Autograd, NN and recurrent benchmarks and their PyTorch / NumPy counterparts on this machine, one
# configuration per process, one after the other (never in parallel: the ratios are what count).
#
#   PYTHON=../venv/bin/python bash Tools/bench/run_tensor_benchmarks.sh [OUTDIR]
#
# PYTHON needs torch 2.15.0 and numpy 2.4.6 (see Tools/bench/torch_conv.py). The PyTorch GEMM script is
# the project's shared one (../shared/bench/01_gemm.py). Writes OUTDIR/*.jsonl (default
# Docs/benchmark-results) and prints the markdown tables of Docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-Docs/benchmark-results}
python=${PYTHON:-python3}
shared=${SHARED:-../shared}
mkdir -p "$out"
make release >/dev/null
bin=.build/release/s2igan

echo "gemm: s2igan (default kernel choice)" >&2
$bin bench gemm > "$out/gemm_swift.jsonl"
echo "gemm: s2igan with OPENBLAS_CORETYPE=SkylakeX (OpenBLAS's AVX-512 kernels)" >&2
OPENBLAS_CORETYPE=SkylakeX $bin bench gemm > "$out/gemm_swift_avx512.jsonl"
echo "gemm: numpy and torch" >&2
rm -f "$out/gemm_python.jsonl"
$python "$shared/bench/01_gemm.py" --threads 2 --lib both --tag default --out "$out/gemm_python.jsonl" >/dev/null
echo "conv: s2igan" >&2
$bin bench conv > "$out/conv_swift.jsonl"
echo "conv: torch NCHW" >&2
$python Tools/bench/torch_conv.py --threads 2 > "$out/conv_torch.jsonl"
echo "conv: torch channels_last" >&2
$python Tools/bench/torch_conv.py --threads 2 --channels-last > "$out/conv_torch_cl.jsonl"
echo "mlp and convnet: s2igan, torch" >&2
{ $bin bench mlp --seconds 2; $bin bench convnet --seconds 3; } > "$out/nn_swift.jsonl"
{ $python Tools/bench/torch_nn.py mlp --threads 2 --seconds 2; $python Tools/bench/torch_nn.py convnet --threads 2 --seconds 3; } > "$out/nn_torch.jsonl"
echo "gru: s2igan, torch packed, torch unpacked" >&2
$bin bench gru --seconds 1 > "$out/gru_swift.jsonl"
{ $python Tools/bench/torch_gru.py --threads 2 --variant packed --seconds 1
  $python Tools/bench/torch_gru.py --threads 2 --variant unpacked --seconds 1; } > "$out/gru_torch.jsonl"
echo "mel: s2igan, librosa" >&2
$bin bench mel > "$out/mel_swift.jsonl"
$python Tools/bench/librosa_mel.py > "$out/mel_librosa.jsonl"
echo "sen step: s2igan, torch packed and unpacked" >&2
out_abs=$(cd "$out" && pwd)
$bin bench sen-step --batches 128,32 --iters 3 > "$out/sen_step_swift.jsonl"
rm -f "$out/sen_step_torch.jsonl"
(cd "$shared" && $python bench/02_sen_speech.py --threads 2 --train-batches 128,32 --variants packed,unpacked --fwd 0 --iters 3 \
    --out "$out_abs/sen_step_torch.jsonl" >/dev/null)
echo "fid end to end: s2igan, pytorch-fid (same folder of PNGs)" >&2
fid_images=$(mktemp -d)
$bin bench fid --images "$fid_images" --runs 3 > "$out/fid_swift.jsonl"
$python Tools/bench/torch_fid.py --images "$fid_images" --runs 3 > "$out/fid_torch.jsonl" 2>/dev/null
rm -rf "$fid_images"
python3 Tools/bench/tensor_tables.py "$out"
