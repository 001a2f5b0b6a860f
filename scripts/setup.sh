#!/usr/bin/env bash
# zdh set-up for a Debian 12 machine: installs the Debian packages zdh needs that are
# missing, then the npm dependencies (Node 24 comes with them). Safe to run again.
# Not root: prints the apt-get command it would run, and still installs npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  qemu-system-x86                       # the guest machine
  build-essential flex bison bc libelf-dev libssl-dev cpio kmod ccache git patch xz-utils  # kernel builds
  busybox-static                        # guest userland
  linux-source-6.1                      # the default kernel source (/usr/src/linux-source-6.1.tar.xz)
  linux-source-6.12                     # the LTS kernel beside it (/usr/src/linux-source-6.12.tar.xz)
  ndctl daxctl e2fsprogs xfsprogs       # guest tools for pmem/DAX, copied into the initramfs
  binutils                              # addr2line/nm for symbolising stack traces
  libxml2-utils chromium fonts-dejavu-core  # tests: JUnit XSD validation, the HTML report in a real browser
  rsync                                 # tests: gitlab-ci-local runs the GitLab template with it
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: not root; run this as root to install the missing Debian packages:"
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  fi
else
  echo "setup: Debian packages present"
fi

# npm dependencies, exactly as locked. The pinned `node` package (Node 24) runs its
# install script because package.json's allowScripts approves it.
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
echo "setup: done ($(node_modules/.bin/node --version) for zdh)"
