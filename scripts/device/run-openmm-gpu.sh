#!/usr/bin/env bash
# Runs mdswarm's openmm engine on a lent NVIDIA GPU machine through OpenMM 7.7's OpenCL platform
# (Debian's OpenMM has no CUDA plugin) and NVIDIA's OpenCL driver (libnvidia-opencl.so.1).
# That machine has no Node and no OpenMM: both travel in .device-kit/ (built here by
# scripts/device/build-kit.sh) and are unpacked under $WORK, never into /.
#
#   device call: bash scripts/device/run-openmm-gpu.sh     with carry ['.device-kit'], timeout_s ~300
#   here (no GPU: checks the kit, CPU and Reference only): OUT=/tmp/out bash scripts/device/run-openmm-gpu.sh
#
# Prints: nvidia-smi, where NVIDIA's OpenCL library is, the OpenCL platforms the ICD loader sees
# (cl_probe.py), OpenMM's platforms, energy and force agreement with Reference (force_compare.py),
# then the TypeScript driver (openmm-gpu-driver.ts): detection as the node does it, ns/day per
# platform and precision, the node's unit path with checkpoints handed builtin -> OpenCL -> CPU,
# and the builtin engine's ns/day. Everything also goes to $OUT/log.
# Env: MEASURE_S / WARMUP_S (driver timing, default 3 / 1 s), WORK (unpack folder, default /tmp/mdswarm-device).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
KIT="$REPO/.device-kit"
WORK=${WORK:-/tmp/mdswarm-device}
OUT=${OUT:-/tmp/mdswarm-device-out}
MEASURE_S=${MEASURE_S:-3}
WARMUP_S=${WARMUP_S:-1}
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/log") 2>&1
step () { printf '\n######## %s (t=%ss)\n' "$1" "$SECONDS"; }

for f in node.xz python-openmm-kit.tar.xz openmm-gpu-driver.mjs; do
  [ -s "$KIT/$f" ] || { echo "missing $KIT/$f: run scripts/device/build-kit.sh here first and carry .device-kit"; exit 2; }
done

# xz may be missing on the device image; its python3 has lzma.
unxz_to () {  # unxz_to SRC DEST
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

step "machine"
uname -a; grep -m1 'model name' /proc/cpuinfo; nproc; grep PRETTY /etc/os-release
nvidia-smi || echo "nvidia-smi failed"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true

step "unpack node + python/OpenMM kit into $WORK"
unxz_to "$KIT/node.xz" "$WORK/node" && chmod +x "$WORK/node"
unxz_to "$KIT/python-openmm-kit.tar.xz" "$WORK/kit.tar" && tar -C "$WORK" -xf "$WORK/kit.tar" && rm -f "$WORK/kit.tar"
mkdir -p "$WORK/driver/helper"
cp "$KIT/openmm-gpu-driver.mjs" "$WORK/driver/"
cp "$REPO/src/engine-openmm/helper/openmm_helper.py" "$WORK/driver/helper/"   # the bundle's HELPER_PATH: ./helper/ beside it
"$WORK/node" --version || { echo "the carried node does not run here"; exit 3; }

step "NVIDIA OpenCL library"
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)
$LDCONFIG -p 2>/dev/null | grep -iE 'opencl|nvidia-compiler|nvvm' || echo "(ldconfig knows no OpenCL library)"
NV_OPENCL=""
for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/cuda/compat /usr/local/cuda/lib64; do
  if [ -e "$dir/libnvidia-opencl.so.1" ]; then NV_OPENCL="$dir/libnvidia-opencl.so.1"; break; fi
done
if [ -z "$NV_OPENCL" ]; then
  NV_OPENCL=$(timeout 30 find /usr /lib /lib64 /opt -name 'libnvidia-opencl.so*' 2>/dev/null | head -1)
fi
echo "libnvidia-opencl: ${NV_OPENCL:-NOT FOUND}"
[ -n "$NV_OPENCL" ] && ls -la "$(dirname "$NV_OPENCL")" | grep -iE 'opencl|compiler|nvvm|libcuda\.so' || true
ls /etc/OpenCL/vendors 2>/dev/null && cat /etc/OpenCL/vendors/* 2>/dev/null
mkdir -p "$WORK/vendors"
[ -n "$NV_OPENCL" ] && echo "$NV_OPENCL" > "$WORK/vendors/nvidia.icd"

# The kit's environment, for the kit's python and for node (which starts the helper with it).
K="$WORK/kit"
export PYTHONHOME="$K/usr" PYTHONPATH="$K/usr/lib/python3/dist-packages" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
KIT_LIBS="$K/lib"
for lib in libexpat.so.1 libz.so.1 libffi.so.8 libbz2.so.1.0 liblzma.so.5; do
  { $LDCONFIG -p 2>/dev/null | grep -q "^[[:space:]]*$lib " || ls /lib/x86_64-linux-gnu/$lib /usr/lib/x86_64-linux-gnu/$lib >/dev/null 2>&1; } || { echo "this machine lacks $lib: using the kit's"; KIT_LIBS="$K/lib:$K/lib-extra"; }
done
export LD_LIBRARY_PATH="$KIT_LIBS${NV_OPENCL:+:$(dirname "$NV_OPENCL")}"
export OPENMM_PLUGIN_DIR="$K/plugins" OCL_ICD_VENDORS="$WORK/vendors" MDSWARM_PYTHON="$K/usr/bin/python3.11"
unset VIRTUAL_ENV PYTHONSTARTUP CONDA_PREFIX
PY="$K/usr/bin/python3.11"

step "OpenCL platforms (ICD loader from the kit, vendors from $OCL_ICD_VENDORS)"
if ! timeout 60 "$PY" "$REPO/scripts/device/cl_probe.py" "$K/lib/libOpenCL.so.1"; then
  echo "-- again with the ICD loader's debug output"
  OCL_ICD_DEBUG=15 timeout 60 "$PY" "$REPO/scripts/device/cl_probe.py" "$K/lib/libOpenCL.so.1" 2>&1 | head -40
fi

step "OpenMM in the kit"
timeout 60 "$PY" -c 'import openmm as mm, numpy
print("OpenMM", mm.version.version, "numpy", numpy.__version__)
print("platforms", [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())])
print("plugin load failures", mm.Platform.getPluginLoadFailures())'

step "energies and forces vs Reference (force_compare.py)"
timeout 100 "$PY" "$REPO/scripts/device/force_compare.py" "$REPO/examples/ala2-tip3p" "$REPO/test/fixtures/pme-villin" || echo "force_compare exited with $?"

step "driver: the openmm engine as mdswarm runs it"
cd "$REPO"
timeout 200 "$WORK/node" "$WORK/driver/openmm-gpu-driver.mjs" --python "$PY" --repo "$REPO" --measure-s "$MEASURE_S" --warmup-s "$WARMUP_S" || echo "driver exited with $?"

step "after"
nvidia-smi --query-gpu=name,clocks.sm,memory.used,utilization.gpu --format=csv || true
echo "total ${SECONDS} s"
