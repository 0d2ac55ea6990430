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

# What the release tarball's kernel needs on a machine without Swift (scripts/package writes the list into the
# tarball; its install.sh checks for them): the C libraries `ldd` shows it linked to, the font figures are drawn
# with, and the data packages behind dataset("fashion-mnist") and image("sample:…").
RUNTIME_APT_PACKAGES=(
    libzmq5 libopenblas0 libpng16-16 libjpeg62-turbo libfreetype6 zlib1g
    fonts-dejavu-core dataset-fashion-mnist python3-skimage
)

# The Swift suites ./scripts/asan runs under the address sanitizer (a `swift test --filter`/`--skip` pattern):
# every fuzzer (language, PNG/JPEG/ONNX/NPY/NPZ/IDX/safetensors files) and the atomic-write tests.
ASAN_SUITES='FuzzTests|DataReaderRegressionTests|AtomicFileTests'

# Headless Chromium and its WebDriver, for the JupyterLab browser test (Tests/Browser).
BROWSER_APT_PACKAGES=(chromium chromium-driver)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_apt_packages [PACKAGE...]: installs those of the packages (default: APT_PACKAGES) that are not installed
# yet (one `apt-get update`, one `apt-get install`).
ensure_apt_packages() {
    local wanted=("$@")
    [ ${#wanted[@]} -gt 0 ] || wanted=("${APT_PACKAGES[@]}")
    local missing=()
    for pkg in "${wanted[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step "Debian packages: all ${#wanted[@]} present"
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

# swiftpm ARGS...: `swift ARGS...` with the environment every script gives it. SwiftPM recompiles everything
# when the environment differs from the previous build's (even OLDPWD), so the variables that shells and these
# scripts change are left out: ./scripts/test, ./scripts/package and ./scripts/run then share one build.
swiftpm() {
    env -u OLDPWD -u SHLVL -u _ -u JUPYTER_PREFER_ENV_PATH -u JUPYTER_PATH -u FOVEA_CI_LOGS -u VIRTUAL_ENV \
        swift "$@"
}

# build_kernel CONFIG: builds the kernel binary (debug or release) and sets KERNEL_BIN to its path.
# Release links the Swift runtime statically (what the tarball ships), so ./scripts/run, the notebook tests and
# ./scripts/package all share one release build.
build_kernel() {
    local config="$1"
    local flags=()
    [ "$config" = release ] && flags=(--static-swift-stdlib)
    step "swift build -c $config ${flags[*]} --product fovea-kernel"
    swiftpm build -c "$config" "${flags[@]}" --product fovea-kernel
    KERNEL_BIN="$REPO/.build/$config/fovea-kernel"
    [ -x "$KERNEL_BIN" ] || die "build produced no $KERNEL_BIN"
}

# install_kernelspec ARGS...: runs the built kernel's own installer, then shows what Jupyter sees.
install_kernelspec() {
    step "fovea-kernel install $*"
    "$KERNEL_BIN" install "$@"
}
