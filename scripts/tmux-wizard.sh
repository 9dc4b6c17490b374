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
wait_for 'Register the hotkey now' 180; shot 'balance and burn' 0.3
type_line y; wait_for 'registered on subnet' 120; shot 'done' 0.3
check_coldkey "$password"
t send-keys -t "$session" q; sleep 1 # q quits; Enter would start mining
# Second run: the wallet and network are known, so it skips to the result.
t respawn-pane -k -t "$session" "HOME=$home node dist/cli.js; sleep 600"
wait_for 'already registered'; shot 'second run skips what is done' 0.3
