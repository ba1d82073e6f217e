#!/usr/bin/env bash
# Sets up hessian-lab on a Debian/Ubuntu machine: the system libraries (apt, only what is
# missing), the npm dependencies, the native addon (cmake-js) and the TypeScript build.
# Idempotent: run it again at any time; it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")"

# 64-bit-integer OpenBLAS + LAPACKE are what the addon links (n >= 32,767 needs them);
# liblapacke-dev brings lapacke.h; the 32-bit pair is what most tools expect beside them.
PACKAGES=(libopenblas64-dev liblapacke64-dev liblapacke-dev libopenblas-dev cmake g++ make python3)
# MPI + ScaLAPACK for the optional distributed driver (analyze --ranks; CMake builds it when found).
PACKAGES+=(openmpi-bin libopenmpi-dev libscalapack-openmpi-dev)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: exactly the lock file's, unless they are already installed from it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building the native addon (cmake-js) and the TypeScript sources"
npm run --silent build:native >/dev/null
npm run --silent build:ts
node -e "require('./dist/native/binding').binding()" || { echo "setup: the addon was built but does not load" >&2; exit 1; }
echo "setup: done. Try: npx hessian-lab reproduce --preset quick"
