#!/usr/bin/env bash
# Holds the root module's exported API to CHANGELOG.md: every incompatible
# change since the last release must be named in the changelog's Unreleased
# section, so that no merchant meets a break the changelog does not announce.
#
#   1. The base is the commit in .ci/apidiff-base (the last release). It is
#      checked out in a temporary `git worktree`, removed again at exit.
#   2. golang.org/x/exp/cmd/apidiff (pinned below; APIDIFF=/path/to/apidiff
#      to use another build) writes the module's API in both trees and lists
#      the incompatible changes, package by package. Internal packages are
#      not compared (apidiff skips them), nor are the programs under cmd/ and
#      examples/: they have no importable API.
#   3. The rule: every incompatible line's identifier — the text apidiff
#      prints before the colon, e.g. `CardParams.Number` or
#      `sandbox.(*Sandbox).ResendDelivery` — appears in backticks in the
#      Unreleased section, as printed or qualified with its package's name
#      (`tokenim.CardParams.Number`); parentheses and stars do not count, so
#      `(*Sandbox).ResendDelivery` and `Sandbox.ResendDelivery` are the same.
#
# When releasing: move Unreleased under a version heading and write the new
# release commit into .ci/apidiff-base in the same change.
# Run from .ci/run, or by hand: bash .ci/apidiff.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

apidiff_version=v0.0.0-20261121134650-e1094eeca1b5 # golang.org/x/exp
module=$(go list -m)
base=$(tr -d '[:space:]' < .ci/apidiff-base)
changelog=CHANGELOG.md

tmp=$(mktemp -d)
cleanup() {
  git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

apidiff=${APIDIFF:-}
if [ -z "$apidiff" ]; then
  GOBIN="$tmp/bin" GOFLAGS=-mod=mod go install "golang.org/x/exp/cmd/apidiff@$apidiff_version"
  apidiff="$tmp/bin/apidiff"
fi

if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  echo "apidiff: the base commit $base in .ci/apidiff-base is not in this repository (a shallow clone? fetch with --unshallow)"; exit 1
fi
echo "base: $(git log -1 --format='%h %cs %s' "$base")"
git worktree add --quiet --detach "$tmp/base" "$base"

# apidiff reads the module in the directory it runs in.
(cd "$tmp/base" && "$apidiff" -m -w "$tmp/base.api" "$module") 2>&1 | grep -v '^Ignoring internal package' || true
test -s "$tmp/base.api" || { echo "apidiff: could not read the base's API"; exit 1; }
"$apidiff" -m -w "$tmp/head.api" "$module" 2>&1 | grep -v '^Ignoring internal package' || true
test -s "$tmp/head.api" || { echo "apidiff: could not read the work tree's API"; exit 1; }

"$apidiff" -m -incompatible "$tmp/base.api" "$tmp/head.api" > "$tmp/incompatible.txt" 2>&1 || true
# Programs (cmd/, examples/) are no API.
grep '^- ' "$tmp/incompatible.txt" \
  | grep -v -e '^- \./cmd/' -e '^- \./examples/' \
      -e "^- package $module/cmd/" -e "^- package $module/examples/" -e "^- package $module/internal/" \
  > "$tmp/changes.txt" || true

# The backticked names of the Unreleased section, normalised.
awk '/^## /{in_unreleased = ($0 ~ /^## \[Unreleased\]/)} in_unreleased' "$changelog" \
  | grep -o '`[^`]*`' | tr -d '`()*' | sort -u > "$tmp/named.txt" || true

missing=0
total=0
while IFS= read -r line; do
  total=$((total + 1))
  id=${line#- }
  id=${id%%: *}
  case "$id" in
    "package "*) # a whole package removed: name its import path
      path=${id#package }
      candidates=("$path" "${path#"$module"/}")
      ;;
    ./*) # another package: ./sandbox.(*Sandbox).X or ./reconcile/platform.X
      rest=${id#./}
      path=${rest%%.*}
      name=${path##*/}
      if [ "$rest" = "$path" ]; then
        candidates=("$name" "$path") # the whole package
      else
        # In another package a bare name is ambiguous: it must be qualified.
        plain=${rest#"$path".}
        candidates=("$name.$plain" "$path.$plain")
      fi
      ;;
    *) # the root package, tokenim
      candidates=("$id" "tokenim.$id")
      ;;
  esac
  found=0
  for c in "${candidates[@]}"; do
    c=$(printf '%s' "$c" | tr -d '()*')
    if grep -qxF -- "$c" "$tmp/named.txt"; then found=1; break; fi
  done
  if [ "$found" = 0 ]; then
    if [ "$missing" = 0 ]; then
      echo "apidiff: incompatible changes since $base that $changelog's Unreleased section does not name:"
    fi
    missing=$((missing + 1))
    echo "  $line"
    echo "      name it as \`${candidates[0]}\` in the Unreleased section"
  fi
done < "$tmp/changes.txt"

if [ "$missing" != 0 ]; then
  echo "apidiff: $missing of $total incompatible changes are not in $changelog; list each under Unreleased (### Changed or ### Removed) with what a caller does instead"
  exit 1
fi
echo "apidiff: $total incompatible changes since $base, each named in $changelog's Unreleased section"
