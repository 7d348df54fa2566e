#!/usr/bin/env bash
# WebGPU speed on a machine with a real GPU, against PyTorch CUDA there.
#
# Two halves, because the GPU machine reaches no package registry:
#
#   bench/device/run_webgpu_bench.sh prepare
#       Here, with npm and apt reachable: bundles bench/device/webgpu_step.ts
#       and its npm dependencies into one JavaScript file, compresses the
#       deno binary with xz (92 MB -> ~31 MB; a call carries 64 MiB at
#       most) and downloads the Vulkan loader packages. All into .device/,
#       which git ignores through .git/info/exclude.
#
#   bench/device/run_webgpu_bench.sh device
#       There, with .device carried: unpacks the loader and deno, prints the
#       adapter, then times one training step per configuration. Writes
#       results.jsonl, summary.md and log.txt to $OUT (or ./out/device).
#
#   bench/device/run_webgpu_bench.sh check
#       The device half at tiny sizes on this machine (software adapter,
#       PyTorch on the CPU), to check the script itself after `prepare`.
#
# Configurations: 128 px with 6 residual blocks (the project's default) and
# 256 px with 9 (the reference), 64 filters, batch 1, one channel, float32;
# WebGPU with tfjs's default kernels, and with matrix-multiply kernels for
# both convolution gradients (tfjs's own for the input gradient, ours from
# lib/kernels/webgpu_conv.ts for the filter gradient), each 256 px run with
# a per-kernel GPU profile; PyTorch in strict float32 and with TF32 allowed.
# Every run has its own time limit, so one slow configuration cannot eat the
# others' time; the whole device half ends within 7.5 minutes.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.device"

prepare() {
  cd "$root" || exit 1
  grep -qx '/.device/' .git/info/exclude 2>/dev/null ||
    echo '/.device/' >>.git/info/exclude
  mkdir -p "$cache/debs" /tmp/amd64/partial

  deno bundle --platform deno -o "$cache/webgpu_step.js" \
    bench/device/webgpu_step.ts || exit 1

  local deno_bin
  deno_bin=$(command -v deno)
  if [ ! -s "$cache/deno.xz" ] || [ "$deno_bin" -nt "$cache/deno.xz" ]; then
    xz -T2 -6 -c "$deno_bin" >"$cache/deno.xz" || exit 1
  fi

  # The loader only: the GPU machine brings its own NVIDIA Vulkan driver.
  local apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64
    -oDir::State::Lists=/tmp/amd64)
  if ! ls "$cache"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    apt-get "${apt_options[@]}" update >/dev/null &&
      (cd "$cache/debs" && apt-get "${apt_options[@]}" download libvulkan1) ||
      exit 1
  fi

  du -sh "$cache" "$cache"/*
  echo "Now run on the device machine, carrying .device:"
  echo "  bash bench/device/run_webgpu_bench.sh device"
}

# Runs one configuration with a time limit, appending its JSON line.
measure() {
  local limit=$1
  shift
  echo "== $* (limit ${limit}s)" | tee -a "$out/log.txt"
  timeout -k 5 "$limit" "$@" 2>>"$out/log.txt" | tee -a "$out/results.jsonl"
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "   exit status $status" | tee -a "$out/log.txt"
  fi
}

device() {
  cd "$root" || exit 1
  out=${OUT:-$root/out/device}
  mkdir -p "$out"
  : >"$out/results.jsonl"
  : >"$out/log.txt"

  if [ "$check" = 0 ]; then
    for f in "$cache"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export XDG_RUNTIME_DIR
  XDG_RUNTIME_DIR=$(mktemp -d)
  local nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi

  local bin=/tmp/deno-bench/deno
  mkdir -p /tmp/deno-bench
  xz -dc "$cache/deno.xz" >"$bin" && chmod +x "$bin" || exit 1
  export DENO_DIR=/tmp/deno-bench/cache DENO_NO_UPDATE_CHECK=1

  {
    date -u +"date: %Y-%m-%d %H:%M UTC"
    nvidia-smi --query-gpu=name,driver_version,memory.total \
      --format=csv,noheader || echo "no nvidia-smi"
    "$bin" --version | head -1
    "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
    "$bin" eval 'const a = await navigator.gpu?.requestAdapter();
      const i = a?.info;
      console.log("adapter:", i ? [i.vendor, i.architecture, i.device,
        i.description, i.isFallbackAdapter ? "fallback" : "hardware"]
        .join(" | ") : "none");'
  } 2>&1 | tee "$out/machine.txt"

  local step=(
    "$bin" run -A --no-config --cached-only "$cache/webgpu_step.js"
    --filters 64 --steps 5 --warmup 1
  )
  local torch=("$python" "$here/torch_cuda_step.py" --filters 64)
  if [ "$check" = 1 ]; then
    # The script's own check, on a machine without a GPU: tiny sizes, the
    # software adapter, PyTorch on the CPU.
    step+=(--steps 1 --warmup 0)
    measure 120 "${torch[@]}" --device cpu --filters 4 --size 32 --blocks 1 \
      --steps 1 --warmup 1
    measure 120 "${step[@]}" --filters 4 --size 32 --blocks 1 --profile 1
    measure 120 "${step[@]}" --filters 4 --size 32 --blocks 1 \
      --flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false --gemm-filter-grad 1
  else
    measure 45 "${torch[@]}" --size 128 --blocks 6
    measure 45 "${torch[@]}" --size 256 --blocks 9
    measure 45 "${torch[@]}" --size 256 --blocks 9 --tf32
    measure 90 "${step[@]}" --size 128 --blocks 6 --budget 60
    measure 110 "${step[@]}" --size 256 --blocks 9 --budget 60 --profile 1
    measure 110 "${step[@]}" --size 256 --blocks 9 --budget 60 --profile 1 \
      --flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false --gemm-filter-grad 1
  fi

  python3 - "$out/results.jsonl" >"$out/summary.md" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
reference = {(r["size"], r["blocks"]): r["stepS"] for r in rows
             if r.get("backend") == "torch-cuda-fp32" and r.get("stepS")}
print("| backend | flags | size | blocks | first step (s) | step (s) | x PyTorch fp32 |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if "error" in r:
        print(f"| {r.get('backend')} | error: {r['error']} | | | | | |")
        continue
    flags = " ".join(f"{k}={v}" for k, v in (r.get("flags") or {}).items()) or "-"
    base = reference.get((r["size"], r["blocks"]))
    ratio = f"{r['stepS'] / base:.2f}" if base and r.get("stepS") else "-"
    step = f"{r['stepS']:.3f}" if r.get("stepS") else "-"
    print(f"| {r['backend']} | {flags} | {r['size']} | {r['blocks']} | "
          f"{r['firstStepS']:.2f} | {step} | {ratio} |")
for r in rows:
    p = r.get("profile")
    if not p:
        continue
    flags = " ".join(f"{k}={v}" for k, v in (r.get("flags") or {}).items())
    print(f"\nProfiled step, {r['size']} px / {r['blocks']} blocks "
          f"({flags or 'default kernels'}): "
          f"wall {p['wallMs']:.0f} ms, GPU kernels {p['kernelMs']:.0f} ms "
          f"over {p['kernelCalls']} kernel calls (timing each kernel "
          f"slows the wall time).\n")
    print("| kernel | calls | GPU ms |")
    print("|---|---|---|")
    for k in p["top"]:
        print(f"| {k['name']} | {k['calls']} | {k['ms']} |")
EOF
  cat "$out/summary.md"
}

check=0
# The GPU machine's python3 holds PyTorch; here Debian's does.
python=${PYTHON:-python3}
case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  check)
    check=1
    python=${PYTHON:-/usr/bin/python3}
    device
    ;;
  *)
    echo "usage: $0 prepare|device|check" >&2
    exit 2
    ;;
esac
