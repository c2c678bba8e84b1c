#!/bin/sh
# Install the Debian packages kdio needs, once: a second run installs nothing.
# Guest kernels are not installed here; the harness fetches them into .cache/.
# linux-source-6.1 is Debian's kernel source (a tarball in /usr/src): make test
# builds a guest kernel from it (kdio kernel build), once, into .cache/trees/.
#
# bootstrap.sh bench: what a benchmark run needs (make bench, plots, compare,
# regress); bootstrap.sh test (the default): that, and what make test, make
# lint and make kernel need besides (kernel source and its build tools,
# linters, pytest, a browser for the report's test). The packages and why
# each is there: ci/packages.txt (KDIO_PACKAGES=FILE reads another list, as
# the clean-root test's negative control does). kdio doctor checks them.
set -eu

LIST=${KDIO_PACKAGES:-$(dirname "$0")/packages.txt}
case "${1:-test}" in
bench) SETS="bench" ;;
test) SETS="bench test" ;;
*) echo "kdio: usage: $0 [bench|test] [--list]" >&2; exit 2 ;;
esac
[ -r "$LIST" ] || { echo "kdio: error: cannot read the package list $LIST" >&2; exit 2; }
PKGS=$(awk -v sets=" $SETS " '$1 !~ /^#/ && NF >= 3 && index(sets, " " $1 " ") { print $3 }' "$LIST")
# bootstrap.sh SET --list: print the set's packages, install nothing
if [ "${2:-}" = "--list" ]; then echo "$PKGS"; exit 0; fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
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
fi

# The web libraries the report pages use (d3-flame-graph and d3, for the
# flame graphs of a profiled run's stacks), the versions ci/npm's lock
# names, into the cache (KDIO_CACHE, else .cache/): again only when the
# lock changed. A list of another package set (KDIO_PACKAGES) skips them;
# a machine without npm (Node.js's) goes on without them.
[ -n "${KDIO_PACKAGES:-}" ] && exit 0
command -v npm >/dev/null || {
	echo "kdio: note: npm is not installed, so PROFILE=stacks runs draw no flame graphs (install Node.js and npm, then run sh ci/bootstrap.sh again)" >&2
	exit 0
}
NPM_SRC=$(cd "$(dirname "$0")/npm" && pwd)
NPM_DIR=${KDIO_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.cache}/npm
if ! cmp -s "$NPM_SRC/package-lock.json" "$NPM_DIR/package-lock.json" ||
   [ ! -f "$NPM_DIR/node_modules/.package-lock.json" ]; then
	echo "kdio: installing the report pages' libraries with npm into $NPM_DIR"
	mkdir -p "$NPM_DIR"
	cp "$NPM_SRC/package.json" "$NPM_SRC/package-lock.json" "$NPM_DIR/"
	(cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error) || {
		rm -f "$NPM_DIR/package-lock.json"
		echo "kdio: error: npm could not install the report pages' libraries (see above); run sh ci/bootstrap.sh again when the npm registry is reachable" >&2
		exit 2
	}
fi
