#!/usr/bin/env bash
# Drives the first-run wizard in tmux as a new user would (fresh HOME, no chain running) and
# prints each screen. Usage: bash scripts/tmux-wizard.sh [capture-file]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/dev/stdout}
home=$(mktemp -d)
session=iota-wizard-$$
trap 'tmux kill-session -t $session 2>/dev/null || true; pkill -f "cli.js devnet --chain-port" || true; rm -rf "$home"' EXIT
tmux new-session -d -s "$session" -x 100 -y 24 "HOME=$home node dist/cli.js; sleep 600"
shot() { sleep "${2:-1}"; { echo "---- $1"; tmux capture-pane -p -t "$session" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; } >> "$out"; }
type_line() { tmux send-keys -t "$session" -l "$1"; sleep 0.4; tmux send-keys -t "$session" Enter; }
wait_for() { for _ in $(seq 1 120); do tmux capture-pane -p -t "$session" | grep -q "$1" && return 0; sleep 0.5; done; echo "timed out waiting for: $1" >&2; exit 1; }
wait_for 'What would you like to do'; shot 'start: no wallet' 0
tmux send-keys -t "$session" Enter; wait_for 'Write it down'; shot 'mnemonic shown once' 0.3
words=$(tmux capture-pane -p -t "$session")
tmux send-keys -t "$session" Enter; wait_for 'type word #'
n=$(tmux capture-pane -p -t "$session" | grep -o 'word #[0-9]*' | head -1 | tr -dc 0-9)
word=$(echo "$words" | grep -o "\b$n\. [a-z]*" | head -1 | awk '{print $2}')
type_line wrong; wait_for 'That is not word'; shot 'wrong confirmation word' 0.3
type_line "$word"; wait_for 'Choose a password'
type_line devnet-pass; wait_for 'again'; type_line devnet-pass
shot 'encrypting (Argon2i)' 0.5
wait_for 'Which network'; shot 'network choice' 0.3
tmux send-keys -t "$session" Enter; shot 'starting the local devnet' 1.5
wait_for 'Register the hotkey now'; shot 'balance and burn' 0.3
tmux send-keys -t "$session" y; wait_for 'registered on subnet'; shot 'done' 0.3
tmux send-keys -t "$session" q; sleep 1 # q quits; Enter would start mining
# Second run: the wallet and network are known, so it skips to the result.
tmux respawn-pane -k -t "$session" "HOME=$home node dist/cli.js; sleep 600"
wait_for 'already registered'; shot 'second run skips what is done' 0.3
