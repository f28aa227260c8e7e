#!/usr/bin/env bash
# Prints the README's "CLI reference" section from the binary's own --help texts.
# tools/tests/readme.rs fails when README.md and `fidlab … --help` drift apart; then run
#   cargo build -p tools && scripts/readme_cli_reference.sh target/debug/fidlab
# and paste the output over the section.
set -euo pipefail
bin=${1:-target/debug/fidlab}
echo '## CLI reference'
echo
echo 'Generated from `fidlab … --help` (a test keeps the two in sync).'
for cmd in "" $("$bin" --help | awk '/^Commands:/{f=1;next} /^$/{f=0} f && $1!="help"{print $1}'); do
  echo
  echo "### \`fidlab${cmd:+ $cmd}\`"
  echo
  echo '```text'
  "$bin" $cmd --help
  echo '```'
  if [ "$cmd" = stats ]; then
    echo
    echo '### `fidlab stats merge`'
    echo
    echo '```text'
    "$bin" stats merge --help
    echo '```'
  fi
done
