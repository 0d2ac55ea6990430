# Shared steps of ./scripts/run and ./scripts/test. Sourced, not executed.
# Each step is idempotent: it checks first and only does work that is missing.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Debian packages the build, the kernel and the notebooks need.
APT_PACKAGES=(
    libzmq3-dev libopenblas-dev libpng-dev libjpeg-dev libfreetype-dev zlib1g-dev
    fonts-dejavu-core dataset-fashion-mnist python3-skimage pkg-config python3-venv
)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the Debian packages that are not installed yet (one `apt-get update`, one `apt-get install`).
ensure_apt_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step "Debian packages: all ${#APT_PACKAGES[@]} present"
        return
    fi
    step "Debian packages: installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

ensure_swift() {
    command -v swift >/dev/null || die "swift is not on PATH (Swift 6.x toolchain needed; see README)"
}

# ensure_venv DIR REQUIREMENTS: a virtualenv at DIR with exactly REQUIREMENTS installed (re-done when they change).
ensure_venv() {
    local dir="$1" requirements="$2"
    local stamp="$dir/.fovea-requirements"
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
        step "Python venv $dir: up to date"
        return
    fi
    step "Python venv $dir: installing $(grep -cv '^\s*#' "$requirements") packages"
    [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
    "$dir/bin/python" -m pip install -q -r "$requirements"
    cp "$requirements" "$stamp"
}

# build CONFIG: builds the kernel binary (debug or release) and prints its path on the last line.
build_kernel() {
    local config="$1"
    step "swift build -c $config --product fovea-kernel"
    swift build -c "$config" --product fovea-kernel
    KERNEL_BIN="$REPO/.build/$config/fovea-kernel"
    [ -x "$KERNEL_BIN" ] || die "build produced no $KERNEL_BIN"
}

# install_kernelspec ARGS...: runs the built kernel's own installer, then shows what Jupyter sees.
install_kernelspec() {
    step "fovea-kernel install $*"
    "$KERNEL_BIN" install "$@"
}
