#!/usr/bin/env bash
# Builds a Debian package of headroom with dpkg-deb alone (no cargo plugin needed): the
# binary in /usr/bin, the desktop entry in /usr/share/applications and the icons in the
# hicolor theme, so headroom shows in the application menu and opens with a double-click.
#
#   cargo build --release && packaging/deb.sh            # -> dist/headroom_<version>_<arch>.deb
#   packaging/deb.sh path/to/headroom                    # package another build of the binary
#   sudo apt install ./dist/headroom_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-target/release/headroom}"
if [ ! -x "$binary" ]; then
    echo "deb.sh: no binary at $binary; run \`cargo build --release\` first" >&2
    exit 2
fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
arch="$(dpkg --print-architecture)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"

install -Dm755 "$binary" "$root/usr/bin/headroom"
install -Dm644 icons/headroom.desktop "$root/usr/share/applications/headroom.desktop"
install -Dm644 icons/headroom.png "$root/usr/share/icons/hicolor/256x256/apps/headroom.png"
install -Dm644 icons/headroom.svg "$root/usr/share/icons/hicolor/scalable/apps/headroom.svg"
install -d "$root/DEBIAN"
size_kib="$(du -sk "$root/usr" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: headroom
Version: $version
Section: utils
Priority: optional
Architecture: $arch
Installed-Size: $size_kib
Depends: libc6, libxkbcommon0, libxkbcommon-x11-0, libgl1 | libvulkan1
Maintainer: headroom developers <headroom@localhost>
Description: Is your machine enough for your local language models?
 headroom simulates your language-model workload on every machine in its
 catalogue (memory, decode and prefill speed, timeouts) and says whether to
 buy nothing, change a setting, use the cloud, or which machine to buy.
CONTROL
# Refresh the menu and icon caches after install and removal, where the tools exist.
for script in postinst postrm; do
    cat > "$root/DEBIAN/$script" <<'HOOK'
#!/bin/sh
set -e
command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
HOOK
    chmod 755 "$root/DEBIAN/$script"
done

mkdir -p dist
out="dist/headroom_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "built $out"
