#!/usr/bin/env bash
# Installs the Debian packages triage needs, only those missing.
#   scripts/sysdeps.sh run     libmagic (python-magic loads it), venv support
#   scripts/sysdeps.sh test    + The Sleuth Kit CLI (oracle, mactime), chromium, xmllint, pdftoppm, strace
#   scripts/sysdeps.sh bench   + hashdeep and yara (the peers bench/run measures against)
#   scripts/sysdeps.sh fixtures + the tools fixtures/build.sh uses to rebuild the images
set -euo pipefail
level="${1:-run}"
PYTHON="${PYTHON:-python3}"
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

have_lib 'libmagic\.so\.1' || need+=(libmagic1)
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then need+=(python3-venv); fi
if [[ "$level" == test || "$level" == bench || "$level" == fixtures ]]; then
  have_cmd fls || need+=(sleuthkit)
fi
if [[ "$level" == test ]]; then
  # readers of what triage writes: a real browser for the report, xmllint for
  # DFXML, pdftoppm for the PDF report (mactime comes with sleuthkit)
  have_cmd chromium || need+=(chromium)
  have_cmd xmllint || need+=(libxml2-utils)
  have_cmd pdftoppm || need+=(poppler-utils)
  # strace: the test that the scan opens the evidence read-only, whatever the process
  have_cmd strace || need+=(strace)
  # mke2fs -d: tests build small ext4 images of the files they need (extension mismatch, memory bound)
  have_cmd mke2fs || [[ -x /usr/sbin/mke2fs ]] || need+=(e2fsprogs)
fi
if [[ "$level" == bench ]]; then
  have_cmd hashdeep || need+=(hashdeep)
  have_cmd yara || need+=(yara)
fi
if [[ "$level" == fixtures ]]; then
  have_cmd mcopy || need+=(mtools)
  have_cmd mkfs.fat || need+=(dosfstools)
  have_cmd mkntfs || need+=(ntfs-3g)
  have_cmd xorriso || need+=(xorriso)
  have_cmd sfdisk || need+=(fdisk)
  have_cmd qemu-img || need+=(qemu-utils)
  have_cmd ewfacquire || need+=(ewf-tools)
  have_cmd mkfs.exfat || need+=(exfatprogs)
  have_cmd mount.exfat-fuse || need+=(exfat-fuse)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -eq 0 ]] && have_cmd apt-get; then
  echo "installing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
