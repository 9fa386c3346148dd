#!/usr/bin/env bash
# mypy --strict over the installed layout. pyproject maps the stage folders (analysis/,
# reports/, ...) into the erpcap namespace, which mypy cannot follow, so this lays the same
# tree out with links in .typecheck/ and checks that. Settings: [tool.mypy] in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
root=.typecheck/erpcap
rm -rf .typecheck
mkdir -p "$root"
for entry in erpcap/*; do
  ln -s "../../$entry" "$root/$(basename "$entry")"
done
for stage in scenarios collectors analysis reports reference_erp; do
  ln -s "../../$stage" "$root/$stage"
done
exec "${MYPY:-.venv/bin/mypy}" "$root" "$@"
