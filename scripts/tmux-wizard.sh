#!/usr/bin/env bash
# Drives the first-run wizard in tmux as a new user would over SSH (fresh HOME, no chain running;
# each answer and its Enter in one send-keys, no pauses) and prints each screen; then checks the
# coldkey with PyNaCl. Usage: bash scripts/tmux-wizard.sh [capture-file]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/dev/stdout}
home=$(mktemp -d)
session=wizard
. scripts/tmux-lib.sh
trap cleanup EXIT
password='hunter22pw'
t new-session -d -s "$session" -x 100 -y 24 "HOME=$home node dist/cli.js; sleep 600"
wait_for 'What would you like to do'; shot 'start: no wallet' 0
t send-keys -t "$session" Enter; wait_for 'Write it down'; shot 'mnemonic shown once' 0.3
words=$(t capture-pane -p -t "$session")
t send-keys -t "$session" Enter; wait_for 'type word #'
n=$(t capture-pane -p -t "$session" | grep -o 'word #[0-9]*' | head -1 | tr -dc 0-9)
word=$(echo "$words" | grep -o "\b$n\. [a-z]*" | head -1 | awk '{print $2}')
type_line wrong; wait_for 'That is not word'; shot 'wrong confirmation word' 0.3
type_line "$word"; wait_for 'Choose a password'
type_line "$password"; wait_for 'again'; type_line "$password"
shot 'encrypting (Argon2i)' 0.5
wait_for 'Which network'; shot 'network choice' 0.3
t send-keys -t "$session" Enter; shot 'starting the local devnet' 1.5
wait_for 'Register the hotkey now' 180; wait_for 'Window    interval'; shot 'balance, burn and the registration window' 0.3
# Automatic registration: a cap under the devnet burn waits (the wish saved, never the password), c drops it;
# a cap over the burn registers at once with the password still in memory.
t send-keys -t "$session" a; wait_for 'Most TAO to burn'
type_line 0.0005; wait_for 'Waiting: burn'; shot 'waiting: the cap is under the burn' 0.3
wish="$home/.config/iota-tui/auto-register.json"
[ -f "$wish" ] && ! grep -q "$password" "$wish" || { echo "no wish in $wish, or it holds the password" >&2; exit 1; }
t send-keys -t "$session" c; wait_for 'Register the hotkey now'
[ ! -f "$wish" ] || { echo "c did not drop $wish" >&2; exit 1; }
t send-keys -t "$session" a; wait_for 'Most TAO to burn'
type_line 0.5; wait_for 'registered on subnet' 120; shot 'registered under the cap' 0.3
[ ! -f "$wish" ] || { echo "the wish outlived the registration" >&2; exit 1; }
check_coldkey "$password"
# Enter runs the doctor first: its screen holds on a blocking failure or warnings; all passed starts mining
# 1.5 s later, so q (sent at once) quits instead of mining.
t send-keys -t "$session" Enter; wait_for 'mining cannot start\|start mining, q to quit\|All checks passed' 120
shot 'doctor before mining' 0
t send-keys -t "$session" q; sleep 1
# Second run: the wallet and network are known, so it skips to the result.
t respawn-pane -k -t "$session" "HOME=$home node dist/cli.js; sleep 600"
wait_for 'already registered'; shot 'second run skips what is done' 0.3
