#!/usr/bin/env bash
# perfkit::simd's AVX-512F backend on a CPU that has it, when the host does not: the simd test
# suite, built static, runs as the init process of a small Linux guest in the Bochs emulator
# with a Skylake-X CPU model (AVX-512F, with the OS enabling the zmm state).
#
# - Bochs, not QEMU: QEMU's TCG cannot execute AVX-512.
# - Linux 5.10 (Debian bullseye's kernel), not bookworm's 6.1: Bochs 2.7 reports the size of
#   the standard-format XSAVE area as the sum of the component sizes, which Linux 6.1 rejects
#   (it then turns AVX off altogether); 5.10 warns and uses the compacted format, whose size
#   Bochs reports right. The kernel package is pinned by its SHA-256.
# - Hosts with AVX-512 skip this: the suite already ran the backend natively there.
# - If the kernel cannot be downloaded, the step says so loudly and passes: the backend's
#   loads, stores and arithmetic are still covered by Miri in ci/simd.sh.
#
# Installs what it needs when run as root. Takes about 3 minutes to boot plus the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
start=$(date +%s)

if grep -qw avx512f /proc/cpuinfo; then
  echo "==> simd AVX-512: this CPU has avx512f; the test suite ran the backend natively. Skipped."
  exit 0
fi

missing=()
command -v bochs >/dev/null 2>&1 || missing+=(bochs)
# The terminal display: without it apt would satisfy Bochs's GUI dependency with wxWidgets.
compgen -G "/usr/lib/*/bochs/plugins/libbx_term_gui.so" >/dev/null || missing+=(bochs-term)
[ -e /usr/share/bochs/BIOS-bochs-latest ] || missing+=(bochsbios)
[ -e /usr/share/vgabios/vgabios.bin ] || [ -e /usr/share/bochs/VGABIOS-lgpl-latest ] || missing+=(vgabios)
[ -e /usr/lib/ISOLINUX/isolinux.bin ] || missing+=(isolinux)
[ -e /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || missing+=(syslinux-common)
command -v genisoimage >/dev/null 2>&1 || missing+=(genisoimage)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v pkill >/dev/null 2>&1 || missing+=(procps)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
bash ci/apt-install.sh ci/simd-avx512.sh ${missing[@]+"${missing[@]}"}

work=target/simd-avx512
mkdir -p "$work"
kernel_deb_url=http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/linux-image-5.10.0-32-amd64_5.10.223-1_amd64.deb
kernel_deb_sha=86a6792f3a03ab15a643f385830cdaa921f15e3e9c8bf63aa55a9243c62fc797
kernel=$work/vmlinuz-5.10
if [ ! -s "$kernel" ]; then
  deb=$work/kernel.deb
  if ! curl -fsS -m 300 -o "$deb" "$kernel_deb_url" \
    || ! echo "$kernel_deb_sha  $deb" | sha256sum -c --quiet -; then
    echo "##################################################################"
    echo "NOTICE: simd AVX-512 step SKIPPED: could not fetch the guest kernel"
    echo "($kernel_deb_url). The AVX-512 backend was not run on AVX-512 here."
    echo "##################################################################"
    rm -f "$deb"
    exit 0
  fi
  rm -rf "$work/deb" && mkdir -p "$work/deb"
  dpkg-deb -x "$deb" "$work/deb"
  cp "$work"/deb/boot/vmlinuz-* "$kernel"
  rm -rf "$work/deb" "$deb"
fi

echo "==> simd AVX-512: building the test suite static ($(( $(date +%s) - start )) s in)"
# The simd-check harness: tests/simd against perfkit with only `simd` on.
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=target/simd-check-static \
  cargo test --release --manifest-path ci/simd-check/Cargo.toml --test simd \
    --target x86_64-unknown-linux-gnu --no-run --message-format=json >"$work/build.json"
test_bin=$(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$work/build.json" | tail -1)
[ -x "$test_bin" ] || { echo "error: no test binary built" >&2; exit 1; }

echo "==> simd AVX-512: guest image ($(( $(date +%s) - start )) s in)"
img=$(mktemp -d)
# Bochs does not stop on SIGTERM while its guest sits in a kernel panic: KILL it.
trap 'rm -rf "$img"; pkill -KILL -f "bochs-bin.*$work/bochsrc" 2>/dev/null || true' EXIT
mkdir -p "$img/rd/dev" "$img/rd/proc" "$img/rd/tmp" "$img/iso/isolinux"
mknod "$img/rd/dev/console" c 5 1
mknod "$img/rd/dev/null" c 1 3
cp "$test_bin" "$img/rd/init"
(cd "$img/rd" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$img/iso/isolinux/initrd.gz")
cp "$kernel" "$img/iso/isolinux/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$img/iso/isolinux/"
# Parameters with '=' that the kernel does not know reach init as environment variables;
# one without '=' would reach it as an argument (a test-name filter), so there are none.
# Only the AVX-512 backend's sweeps run: the others ran natively in the earlier steps.
cat >"$img/iso/isolinux/isolinux.cfg" <<'CFG'
DEFAULT t
LABEL t
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0,115200 loglevel=4 mitigations=off tsc=reliable RUST_TEST_THREADS=1 RUST_TEST_NOCAPTURE=1 PERFKIT_TEST_SIMD_BACKENDS=Avx512F
CFG
genisoimage -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
  -no-emul-boot -boot-load-size 4 -boot-info-table "$img/iso"

vgabios=/usr/share/bochs/VGABIOS-lgpl-latest
[ -e "$vgabios" ] || vgabios=/usr/share/vgabios/vgabios.bin
serial=$work/serial.out
rm -f "$serial"
cat >"$work/bochsrc" <<EOF
megs: 1024
cpu: model=corei7_skylake_x, count=1, ips=400000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=$vgabios
display_library: term
boot: cdrom
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
com1: enabled=1, mode=file, dev=$serial
log: $work/bochs.log
panic: action=report
error: action=report
clock: sync=none, time0=local
EOF
echo c >"$work/continue.rc"

echo "==> simd AVX-512: booting the guest ($(( $(date +%s) - start )) s in)"
# Debian builds Bochs with its debugger, which stops at the first instruction: `continue.rc`
# answers it. The terminal display needs a terminal; `script` gives it one.
timeout 2700 script -qfec "bochs -q -f $work/bochsrc -rc $work/continue.rc" /dev/null \
  >"$work/bochs.stdout" 2>&1 </dev/null &
limit=$(( $(date +%s) + 2400 ))
while ! grep -aq 'Attempted to kill init' "$serial" 2>/dev/null; do
  if [ "$(date +%s)" -gt "$limit" ] || ! pgrep -f "bochs-bin.*$work/bochsrc" >/dev/null; then
    echo "error: the guest did not finish the suite" >&2
    tail -n 40 "$serial" >&2 || true
    exit 1
  fi
  sleep 5
done
pkill -KILL -f "bochs-bin.*$work/bochsrc" || true

# What the suite printed, without the kernel's log.
grep -a -e '^running ' -e '^test ' -e 'notice: ' -e ' passed; ' -e 'FAILED' "$serial" || true
if grep -aq 'notice: backend Avx512F not available' "$serial"; then
  echo "error: the guest CPU did not offer AVX-512F to the suite" >&2
  exit 1
fi
# The verdict is init's exit status, which the kernel prints when init exits: libtest exits 0
# only when every test passed. Its summary line is not relied on: the kernel's panic at init's
# exit can cut it in two, or drop it from the serial port's buffer altogether. The sweep's
# name in the log shows the tests were not filtered away.
if ! grep -aq 'exitcode=0x00000000' "$serial" \
  || ! grep -aq 'test oracle::reductions_within_bound_f32' "$serial" \
  || grep -aq 'FAILED' "$serial"; then
  echo "error: the simd suite failed on the AVX-512 guest" >&2
  exit 1
fi
echo "==> simd AVX-512: suite passed on the emulated AVX-512 CPU in $(( $(date +%s) - start )) s"
