#!/bin/sh
# Install the Debian packages kdio needs, once: a second run installs nothing.
# Guest kernels are not installed here; the harness fetches them into .cache/.
# linux-source-6.1 is Debian's kernel source (a tarball in /usr/src): make test
# builds a guest kernel from it (kdio kernel build), once, into .cache/trees/.
set -eu

PKGS="qemu-system-x86 qemu-utils fio gnuplot-nox busybox-static kmod e2fsprogs cpio
gcc make libc6-dev python3 python3-pytest python3-jsonschema dwarves bc flex bison
libelf-dev libssl-dev xz-utils zstd chromium linux-source-6.1
sparse shellcheck pyflakes3
iproute2 iperf3 strongswan-charon strongswan-swanctl
parallel openssh-server openssh-client rsync"

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
