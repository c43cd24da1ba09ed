#!/usr/bin/env bash
# Builds .device-kit/ here (Debian 12 with python3-simtk, libopenmm-plugins, node 20) for
# scripts/device/run-openmm-gpu.sh on a lent GPU machine, which has no Node and no OpenMM:
#   node.xz                 this machine's node binary (debug info stripped), xz-compressed
#   python-openmm-kit.tar.xz  kit/: Debian's python3.11 + trimmed stdlib, OpenMM 7.7 (python bindings,
#                           libraries, plugins incl. OpenCL), numpy 1.24 on netlib BLAS, ocl-icd loader
#   openmm-gpu-driver.mjs   scripts/device/openmm-gpu-driver.ts bundled with esbuild (node: builtins external)
# Usage (repo root): bash scripts/device/build-kit.sh   (about 3 minutes on 2 cores; node.xz is kept if present)
# Then: echo /.device-kit/ >> .git/info/exclude (once), and run the device call with carry ['.device-kit'].
set -euo pipefail
cd "$(dirname "$0")/../.."
KIT_DIR=.device-kit
STAGE=$(mktemp -d /tmp/device-kit-stage.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$KIT_DIR"
LIB=/usr/lib/x86_64-linux-gnu
DIST=/usr/lib/python3/dist-packages

# --- node
if [ ! -s "$KIT_DIR/node.xz" ]; then
  cp /usr/bin/node "$STAGE/node"
  strip --strip-debug "$STAGE/node"
  xz -T2 -9 -c "$STAGE/node" > "$KIT_DIR/node.xz.part" && mv "$KIT_DIR/node.xz.part" "$KIT_DIR/node.xz"
fi

# --- python 3.11 + OpenMM 7.7 + numpy (paths inside the tar: kit/...)
K="$STAGE/kit"
mkdir -p "$K/usr/bin" "$K/usr/lib/python3/dist-packages" "$K/lib" "$K/lib-extra" "$K/plugins"
cp /usr/bin/python3.11 "$K/usr/bin/"
tar -C /usr/lib --exclude '__pycache__' --exclude 'python3.11/test' --exclude 'tests' --exclude 'tkinter' --exclude 'idlelib' \
  --exclude 'lib2to3' --exclude 'pydoc_data' --exclude 'ensurepip' --exclude 'config-3.11-x86_64-linux-gnu' \
  --exclude 'python3.11/dist-packages' --exclude 'turtledemo' --exclude 'python3.11/site-packages' -cf - python3.11 | tar -C "$K/usr/lib" -xf -
# openmm.app needs only pdbNames.xml and residues.xml of its data (PDBFile, Topology); force fields are not used.
tar -C "$DIST" --exclude '__pycache__' --exclude 'openmm/app/data' -chf - openmm simtk | tar -C "$K/usr/lib/python3/dist-packages" -xf -
mkdir -p "$K/usr/lib/python3/dist-packages/openmm/app/data"
cp "$DIST/openmm/app/data/pdbNames.xml" "$DIST/openmm/app/data/residues.xml" "$K/usr/lib/python3/dist-packages/openmm/app/data/"
tar -C "$DIST" --exclude '__pycache__' --exclude 'tests' --exclude 'numpy/f2py' --exclude 'numpy/distutils' -chf - numpy | tar -C "$K/usr/lib/python3/dist-packages" -xf -
cp -L "$LIB/libOpenMM.so.7.7" "$LIB/openmm/libOpenMMAmoeba.so" "$LIB/openmm/libOpenMMDrude.so" "$LIB/openmm/libOpenMMRPMD.so" \
  "$LIB/libOpenCL.so.1" "$LIB/blas/libblas.so.3" "$LIB/lapack/liblapack.so.3" "$LIB/libgfortran.so.5" "$LIB/libquadmath.so.0" "$K/lib/"
# Common system libraries: used on the device only where its own are missing (this libexpat needs glibc 2.36).
cp -L "$LIB/libexpat.so.1" "$LIB/libz.so.1" "$LIB/libffi.so.8" "$LIB/libbz2.so.1.0" "$LIB/liblzma.so.5" "$K/lib-extra/"
cp -L "$LIB"/openmm/plugins/*.so "$K/plugins/"
# The kit must import OpenMM with nothing of this machine's Python on its paths.
env -i PATH=/usr/bin:/bin HOME=/tmp PYTHONHOME="$K/usr" PYTHONPATH="$K/usr/lib/python3/dist-packages" LD_LIBRARY_PATH="$K/lib:$K/lib-extra" \
  OPENMM_PLUGIN_DIR="$K/plugins" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 "$K/usr/bin/python3.11" -c \
  'import openmm, openmm.app, numpy; print("kit: OpenMM", openmm.version.version, "numpy", numpy.__version__, [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())])'
tar -C "$STAGE" -cf - kit | xz -T2 -9 > "$KIT_DIR/python-openmm-kit.tar.xz"

# --- the driver, one ESM file
node_modules/.bin/esbuild scripts/device/openmm-gpu-driver.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$KIT_DIR/openmm-gpu-driver.mjs" --log-level=warning \
  --banner:js="import { createRequire as __mdswarmCreateRequire } from 'node:module'; const require = __mdswarmCreateRequire(import.meta.url);"
ls -la "$KIT_DIR"
du -sh "$KIT_DIR"
