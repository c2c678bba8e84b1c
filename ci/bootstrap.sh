#!/bin/sh
# Install the Debian packages kdio needs, once: a second run installs nothing.
# Guest kernels are not installed here; the harness fetches them into .cache/.
# linux-source-6.1 is Debian's kernel source (a tarball in /usr/src): make test
# builds a guest kernel from it (kdio kernel build), once, into .cache/trees/.
set -eu

# bootstrap.sh bench: what a benchmark run needs (make bench, plots, compare,
# regress); bootstrap.sh test (the default): that, and what make test, make
# lint and make kernel need besides (kernel source and its build tools,
# linters, pytest, a browser for the report's test).
BENCH_PKGS="qemu-system-x86 qemu-utils fio gnuplot-nox busybox-static kmod e2fsprogs cpio
gcc make libc6-dev libelf-dev dwarves bc python3 python3-jsonschema xz-utils zstd
iproute2 iperf3 strongswan-charon strongswan-swanctl
parallel openssh-client rsync"
TEST_PKGS="python3-pytest flex bison libssl-dev chromium linux-source-6.1
sparse shellcheck pyflakes3 openssh-server"

case "${1:-test}" in
bench) PKGS=$BENCH_PKGS ;;
test) PKGS="$BENCH_PKGS $TEST_PKGS" ;;
*) echo "kdio: usage: $0 [bench|test]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "kdio: installing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "kdio: error: need root to install:$missing (run as root, or install them)" >&2
		exit 2
	}
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
