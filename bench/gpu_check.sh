#!/usr/bin/env bash
# The GPU checks, as one script for a GPU machine with torch and numpy but no network:
#   bash bench/gpu_check.sh OUTDIR
# tests/test_cuda.py (fused AdamW parity, training, bf16, reruns), the speed table of
# bench/bench_gpu.py with the whole GPU preset, and scripts/train_gpt.py alone and under torchrun
# (NCCL on one GPU; Gloo with two CPU processes). pytest comes from .devpkgs/ when the machine
# lacks it (a copy of the pure-Python packages pytest needs).
set -u
out=${1:-gpu_check_out}
mkdir -p "$out"
export PYTHONPATH="$PWD/src:$PWD:$PWD/.devpkgs" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python -c "import sys, torch, numpy; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'numpy', numpy.__version__)"
t0=$(date +%s)
python -m pytest -o addopts="" --noconftest -p no:cacheprovider -q -s -rs tests/test_cuda.py tests/test_train_gpt.py 2>&1 | tee "$out/test_cuda.txt"
echo "test_cuda: $(( $(date +%s) - t0 )) s"; t0=$(date +%s)
python bench/bench_gpu.py --full --out "$out/bench_gpu.json" 2>&1 | tee "$out/bench_gpu.txt"
echo "bench_gpu: $(( $(date +%s) - t0 )) s"; t0=$(date +%s)
python scripts/train_gpt.py --preset gpu --steps 200 --eval-every 100 --device cuda --out "$out/plain.json"
torchrun --standalone --nproc_per_node 1 scripts/train_gpt.py --preset gpu --steps 200 \
  --eval-every 100 --device cuda --out "$out/nccl1.json"
torchrun --standalone --nproc_per_node 2 scripts/train_gpt.py --preset cpu --steps 60 \
  --eval-every 30 --device cpu --out "$out/gloo2.json"
python scripts/train_gpt.py --preset cpu --steps 60 --eval-every 30 --device cpu --threads 1 \
  --out "$out/cpu1.json"
echo "train_gpt: $(( $(date +%s) - t0 )) s"
python - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def last(name):
    h = json.load(open(f"{out}/{name}.json"))
    return h["val_loss"][-1], h.get("environment", {}).get("processes")
for a, b in (("plain", "nccl1"), ("cpu1", "gloo2")):
    (va, pa), (vb, pb) = last(a), last(b)
    print(f"{a} ({pa} process) vs {b} ({pb}): final val loss {va:.4f} vs {vb:.4f}, "
          f"relative gap {abs(va - vb) / va:.1e}")
PY
