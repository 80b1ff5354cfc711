#!/usr/bin/env bash
# Runs protobuf's official conformance runner against `conformance-testee` (our codec).
#
# The runner is built once from the distribution's protobuf source package, the version of the
# installed libprotobuf-dev (3.21.12 on Debian 12), into .build-conformance/. The source comes
# through apt itself: `apt-get source`, with deb-src entries derived from the machine's own deb
# entries (see enable_deb_src). Then the runner is pointed at the testee:
#   bash scripts/run-conformance.sh            # debug testee
#   CONFIGURATION=release bash scripts/run-conformance.sh
# Exit status is the runner's: non-zero when a test fails that is not in
# Sources/ConformanceTestee/failure_list.txt (or when a listed one starts passing).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION="${CONFIGURATION:-debug}"
work=.build-conformance
runner="$work/conformance_test_runner"
# The one apt file this script owns.
deb_src_list=/etc/apt/sources.list.d/portico-deb-src.sources

# Prints, as deb822 stanzas with `Types: deb-src`, a source twin of every enabled `deb` entry of
# the distribution's own archive: one-line entries of sources.list and *.list, and deb822 stanzas
# of *.sources. Only suites named after the release (bookworm, bookworm-updates, ...) are taken,
# because third-party repositories seldom publish sources and `apt-get update` fails on a missing
# index. Entries that already have deb-src are left alone.
derive_deb_src() {
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  local lists=() stanzas=()
  [ -f /etc/apt/sources.list ] && lists+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$deb_src_list" ] && stanzas+=("$f")
  done
  if [ ${#lists[@]} -gt 0 ]; then
    awk -v codename="$codename" '
      function release_suite(s) { return codename == "" || s == codename || index(s, codename "-") == 1 }
      function words(text,   n, f, i) {
        n = split(text, f, /[ \t]+/); k = 0
        for (i = 1; i <= n; i++) if (f[i] != "") w[++k] = f[i]
      }
      /^[ \t]*deb(-src)?[ \t]/ {
        line = $0; kind = (line ~ /^[ \t]*deb-src/) ? "deb-src" : "deb"
        sub(/^[ \t]*deb(-src)?[ \t]+/, "", line); options = ""
        if (substr(line, 1, 1) == "[") {
          options = substr(line, 2, index(line, "]") - 2); line = substr(line, index(line, "]") + 1)
        }
        words(line)
        if (k < 2) next
        if (kind == "deb-src") { have[w[1] " " w[2]] = 1; next }
        if (!release_suite(w[2])) next
        entry = sprintf("Types: deb-src\nURIs: %s\nSuites: %s\n", w[1], w[2])
        if (k > 2) { entry = entry "Components:"; for (i = 3; i <= k; i++) entry = entry " " w[i]; entry = entry "\n" }
        m = split(options, o, /[ \t]+/)
        for (i = 1; i <= m; i++) {
          if (o[i] ~ /^signed-by=/) entry = entry "Signed-By: " substr(o[i], 11) "\n"
          if (o[i] ~ /^trusted=/) entry = entry "Trusted: " substr(o[i], 9) "\n"
        }
        keys[++count] = w[1] " " w[2]; entries[count] = entry
      }
      END { for (i = 1; i <= count; i++) if (!(keys[i] in have)) print entries[i] }
    ' "${lists[@]}"
  fi
  if [ ${#stanzas[@]} -gt 0 ]; then
    # A stanza ends at a blank line; field names are case-insensitive; continuation lines
    # (an inline Signed-By key) start with white space and stay with their field.
    awk -v codename="$codename" '
      function release_suite(s) { return codename == "" || s == codename || index(s, codename "-") == 1 }
      function flush(   i, n, s, ok) {
        if (count > 0 && types ~ /(^| )deb( |$)/ && types !~ /(^| )deb-src( |$)/ && tolower(enabled) != "no") {
          n = split(suites, s, / +/); ok = 0
          for (i = 1; i <= n; i++) if (s[i] != "" && release_suite(s[i])) ok = 1
          if (ok) {
            for (i = 1; i <= count; i++) print (i == typesLine ? "Types: deb-src" : body[i])
            print ""
          }
        }
        count = 0; types = ""; suites = ""; enabled = ""; typesLine = 0
      }
      FNR == 1 { flush() }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        body[++count] = $0
        if (match($0, /^[A-Za-z-]+:/)) {
          name = tolower(substr($0, 1, RLENGTH - 1)); value = substr($0, RLENGTH + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", value); gsub(/[ \t]+/, " ", value)
          if (name == "types") { types = value; typesLine = count }
          if (name == "suites") suites = value
          if (name == "enabled") enabled = value
        }
      }
      END { flush() }' "${stanzas[@]}"
  fi
}

# Writes our deb-src list when it is missing or differs from what the machine's sources give,
# and refreshes apt's lists when the wanted source version is not known yet. Idempotent.
enable_deb_src() {
  local package="$1" version="$2" wanted
  wanted="$(derive_deb_src)"
  if [ -z "$wanted" ]; then
    echo "no deb entries of this release in /etc/apt/sources.list{,.d/} to derive deb-src from" >&2
    exit 1
  fi
  if [ ! -f "$deb_src_list" ] || [ "$(cat "$deb_src_list")" != "$wanted" ]; then
    echo "writing $deb_src_list (deb-src twins of the machine's deb entries)"
    printf '%s\n' "$wanted" | $sudo tee "$deb_src_list" >/dev/null
    $sudo apt-get update -qq
  elif ! apt-cache showsrc "$package" 2>/dev/null | grep -qx "Version: $version"; then
    $sudo apt-get update -qq
  fi
}

if [ ! -x "$runner" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  missing=()
  for pkg in g++ libprotobuf-dev protobuf-compiler dpkg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
  # The source package and version that built the installed library, e.g. "protobuf 3.21.12-3".
  read -r source_package source_version < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' libprotobuf-dev)
  upstream="${source_version#*:}"; upstream="${upstream%-*}"
  src="$work/$source_package-$upstream"
  mkdir -p "$work"
  if [ ! -f "$src/conformance/conformance_test_runner.cc" ]; then
    enable_deb_src "$source_package" "$source_version"
    rm -rf "$src"
    # apt-get source downloads and unpacks (dpkg-source -x, Debian's patches applied) into the
    # current directory; it needs no root.
    (cd "$work" && apt-get source -qq "$source_package=$source_version")
  fi
  mkdir -p "$src/out" "$src/obj"
  protoc -I"$src/src" -I"$src/conformance" --cpp_out="$src/out" \
    "$src/conformance/conformance.proto" \
    "$src/src/google/protobuf/test_messages_proto2.proto" "$src/src/google/protobuf/test_messages_proto3.proto"
  echo "building the conformance runner (about a minute)..."
  pids=()
  for f in conformance/conformance_test_runner.cc conformance/conformance_test.cc \
    conformance/conformance_test_main.cc conformance/binary_json_conformance_suite.cc \
    conformance/text_format_conformance_suite.cc conformance/third_party/jsoncpp/jsoncpp.cpp \
    out/conformance.pb.cc out/google/protobuf/test_messages_proto2.pb.cc out/google/protobuf/test_messages_proto3.pb.cc; do
    g++ -O1 -std=c++17 -I"$src/out" -I"$src/conformance" -I"$src" -I"$src/src" \
      -c "$src/$f" -o "$src/obj/$(basename "$f").o" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  g++ "$src"/obj/*.o -lprotobuf -lpthread -o "$runner"
fi

swift build -c "$CONFIGURATION" --product conformance-testee
testee="$(swift build -c "$CONFIGURATION" --show-bin-path)/conformance-testee"
cd "$work"
exec ./conformance_test_runner --enforce_recommended \
  --failure_list ../Sources/ConformanceTestee/failure_list.txt "$testee"
