#!/bin/bash
# Starts a devtrip-eventd plugin from the template, everything renamed.
#   new-plugin.sh NAME DIR        a Swift plugin (SwiftPM package, tests, debian/ packaging)
#   new-plugin.sh --c NAME DIR    a C plugin (one .c file and its build line)
# NAME is the plugin's name ([a-z0-9][a-z0-9._-]*): the .so is lib<NAME>.so,
# its configuration plugins.d/<NAME>.toml, its Debian package
# devtrip-eventd-plugin-<NAME>. The Swift package builds against the SDK this
# script lies in (its path is written into Package.swift; DEVTRIP_EVENTD_SDK
# still overrides it). Works from a source checkout (plugins/sdk/new-plugin.sh)
# and from devtrip-eventd-dev (/usr/share/devtrip-eventd-dev/sdk/new-plugin.sh).
set -euo pipefail

SDK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
usage() { echo "usage: $0 [--c] NAME DIR" >&2; exit 2; }
language=swift
if [ "${1:-}" = --c ]; then language=c; shift; fi
[ $# -eq 2 ] || usage
name="$1" dir="$2"
[[ "$name" =~ ^[a-z0-9][a-z0-9._-]*$ ]] || { echo "new-plugin.sh: '$name' is not a plugin name ([a-z0-9][a-z0-9._-]*)" >&2; exit 2; }
[ ! -e "$dir" ] || { echo "new-plugin.sh: $dir already exists" >&2; exit 1; }

# The template: beside the SDK in devtrip-eventd-dev, under packaging/ in a checkout.
template=""
for candidate in "$SDK/../plugin-template" "$SDK/../../packaging/debian/plugin-template"; do
    if [ -f "$candidate/Package.swift" ]; then template="$(cd "$candidate" && pwd -P)"; break; fi
done
[ -n "$template" ] || { echo "new-plugin.sh: no plugin template next to $SDK" >&2; exit 1; }

# my-plugin -> NAME; MyPlugin -> the name in UpperCamelCase (a Swift type); my_plugin -> a C identifier.
camel="$(echo "$name" | sed -E 's/(^|[-._])([a-z0-9])/\U\2/g')"
[[ "$camel" =~ ^[0-9] ]] && camel="Plugin$camel"
ident="$(echo "$name" | tr '.-' '__')"
rename() { sed -e "s/my-plugin/$name/g" -e "s/MyPlugin/$camel/g" -e "s/my_plugin/$ident/g"; }

mkdir -p "$dir"
if [ "$language" = c ]; then
    rename < "$template/c/my_plugin.c" > "$dir/$ident.c"
    rename < "$template/plugins.d/my-plugin.toml" > "$dir/$name.toml"
else
    (cd "$template" && find . -type f ! -path './c/*' ! -path './.build/*') | while read -r file; do
        target="$dir/$(echo "$file" | rename)"
        mkdir -p "$(dirname "$target")"
        rename < "$template/$file" > "$target"
    done
    chmod +x "$dir/debian/rules"
    sed -i "s|^let sdkOfCopy: String? = nil$|let sdkOfCopy: String? = \"$SDK\"|" "$dir/Package.swift"
fi
if grep -rIl -e my-plugin -e MyPlugin -e my_plugin "$dir" >/dev/null; then
    echo "new-plugin.sh: template names left in: $(grep -rIl -e my-plugin -e MyPlugin -e my_plugin "$dir" | tr '\n' ' ')" >&2
    exit 1
fi
echo "new-plugin.sh: $language plugin '$name' in $dir (SDK: $SDK)"
