# Sourced by the image build scripts: apt_mirror prints the machine's own
# Debian mirror, the URI apt uses for the bookworm suite (deb822 .sources
# files or one-line sources.list). No mirror host is written into any
# script; DEBIAN_MIRROR overrides it where the scripts call this.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'BEGIN{RS=""} /(^|\n)Suites:[^\n]*bookworm( |\n|$)/ {
			if (match($0, /(^|\n)URIs: *[^ \n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/.*URIs: */, "", u); print u; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
	done
}
