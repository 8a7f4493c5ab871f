# Sourced by the Debian-based recipes: the host's first enabled Debian mirror (one-line or deb822 sources).
debian_mirror() {
  local mirror
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '^(deb|URIs:)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+' | grep -oE 'https?://[^[:space:]]+' |
    grep -E '/debian/?$' | head -n1 || true)
  [ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt/sources.list*" >&2; return 1; }
  echo "$mirror"
}
