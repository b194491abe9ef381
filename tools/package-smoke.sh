#!/usr/bin/env bash
# Consumes the packed packages the way an app developer does: packs every package of src/ into a temporary folder,
# creates a fresh console app whose nuget.config points at that folder (and nuget.org for the dependencies), adds
# TestTimeScaling, TestTimeScaling.Torch, TestTimeScaling.Models and libtorch-cpu-linux-x64, pastes the first C#
# recipe of a Markdown file as Program.cs, then builds and runs it.
#
#   tools/package-smoke.sh [doc.md]        (default: README.md; needs the network for NuGet restore; a few minutes)
#
# Not part of `dotnet test`: it packs, restores and builds a second app. See docs/packages.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
doc="${1:-$root/README.md}"
[[ -f "$doc" ]] || { echo "package-smoke: no such file: $doc" >&2; exit 2; }
doc="$(cd "$(dirname "$doc")" && pwd)/$(basename "$doc")"   # the script changes folders below

# A version no earlier run used, so NuGet's global cache cannot hand back a stale copy; removed again at the end.
version="0.1.0-smoke.$(date -u +%Y%m%d%H%M%S)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tts-package-smoke.XXXXXX")"
feed="$work/feed"
app="$work/app"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  rm -rf "$work"
  for id in "$cache"/testtimescaling*; do rm -rf "$id/$version"; rmdir --ignore-fail-on-non-empty "$id"; done
}
trap cleanup EXIT

echo "== pack $version into $feed"
for project in "$root"/src/*/*.csproj; do
  dotnet pack "$project" -c Release -o "$feed" -p:Version="$version" -nologo -v quiet
done
ls -1 "$feed"

echo "== check package contents"
for id in TestTimeScaling.Abstractions TestTimeScaling TestTimeScaling.Torch TestTimeScaling.Arithmetic TestTimeScaling.Models; do
  pkg="$feed/$id.$version.nupkg"
  [[ -f "$pkg" ]] || { echo "missing $pkg" >&2; exit 1; }
  [[ -f "$feed/$id.$version.snupkg" ]] || { echo "missing the symbol package of $id" >&2; exit 1; }
  listing="$(unzip -l "$pkg")"
  for file in README.md icon.png "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -q " $file\$" <<<"$listing" || { echo "$id: no $file in the package" >&2; exit 1; }
  done
  nuspec="$(unzip -p "$pkg" "$id.nuspec")"
  for tag in '<description>' '<tags>' '<projectUrl>' '<repository ' '<icon>icon.png</icon>' '<readme>README.md</readme>' '<license type="expression">MIT</license>'; do
    grep -qF "$tag" <<<"$nuspec" || { echo "$id: nuspec lacks $tag" >&2; exit 1; }
  done
done
# (Listings go through variables: `unzip | grep -q` under pipefail fails when grep stops reading early.)
models_listing="$(unzip -l "$feed/TestTimeScaling.Models.$version.nupkg")"
for file in config.json model.safetensors tokenizer.json tokenizer_config.json; do
  for model in arithmetic-policy arithmetic-prm; do
    grep -q " models/$model/$file\$" <<<"$models_listing" || { echo "TestTimeScaling.Models: models/$model/$file is not packed" >&2; exit 1; }
  done
done
grep -q ' buildTransitive/TestTimeScaling.Models.targets$' <<<"$models_listing" \
  || { echo "TestTimeScaling.Models: its build file is not packed" >&2; exit 1; }
torch_listing="$(unzip -l "$feed/TestTimeScaling.Torch.$version.nupkg")"
grep -q ' buildTransitive/TestTimeScaling.Torch.targets$' <<<"$torch_listing" \
  || { echo "TestTimeScaling.Torch: the libstdc++ fix is not packed" >&2; exit 1; }
echo "ok: README, icon, XML docs, symbols and metadata in every package"

echo "== fresh console app in $app"
dotnet new console -o "$app" --framework net10.0 -n SmokeApp >/dev/null
cat >"$app/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
cd "$app"
for id in TestTimeScaling TestTimeScaling.Torch TestTimeScaling.Models; do
  dotnet add package "$id" --version "$version" >/dev/null
done
dotnet add package libtorch-cpu-linux-x64 --version 2.10.0 >/dev/null

# The first ```csharp block of the document, pasted as the whole program.
awk '/^```csharp/ { inside = 1; next } inside && /^```/ { exit } inside { print }' "$doc" >Program.cs
[[ -s Program.cs ]] || { echo "package-smoke: no \`\`\`csharp block in $doc" >&2; exit 1; }
echo "== Program.cs (first recipe of ${doc#"$root"/})"
cat Program.cs

echo "== build and run"
dotnet build -c Release -nologo -v quiet
output="$(dotnet run -c Release --no-build)"
echo "$output"
[[ -n "$output" ]] || { echo "package-smoke: the recipe printed nothing" >&2; exit 1; }
[[ -f "bin/Release/net10.0/models/arithmetic-policy/model.safetensors" ]] \
  || { echo "package-smoke: the embedded models were not copied beside the app" >&2; exit 1; }
echo "package-smoke: passed ($version)"
