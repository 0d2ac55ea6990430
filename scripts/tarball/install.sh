#!/usr/bin/env bash
# Installs the Fovea kernelspec for the kernel in this unpacked tarball (no Swift toolchain needed).
#
#   ./install.sh                     for the current user (~/.local/share/jupyter/kernels/fovea)
#   ./install.sh --sys-prefix        into the active virtualenv / conda env (else the `jupyter` on PATH)
#   ./install.sh --prefix DIR        into DIR/share/jupyter/kernels/fovea
#   ./install.sh --apt [OPTIONS]     first apt-get install the runtime packages (runtime-packages.txt; root/sudo)
#
# The kernelspec's argv is the absolute path of bin/fovea-kernel here: keep this folder where it is (or run
# install.sh again after moving it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KERNEL="$HERE/bin/fovea-kernel"
read -r -a PACKAGES <<< "$(grep -v '^#' "$HERE/runtime-packages.txt" | tr '\n' ' ')"

if [ "${1:-}" = --apt ]; then
    shift
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"
fi

# The binary links only C libraries from Debian (the Swift runtime is inside it): say which are missing.
missing="$(ldd "$KERNEL" | awk '/not found/ {print $1}')"
if [ -n "$missing" ]; then
    echo "error: fovea-kernel needs libraries that are not installed: $(echo $missing)" >&2
    echo "install them with: apt-get install ${PACKAGES[*]}   (or run ./install.sh --apt)" >&2
    exit 1
fi
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        echo "warning: Debian package $pkg is not installed (apt-get install ${PACKAGES[*]})" >&2
    fi
done

"$KERNEL" install "$@"
