#!/usr/bin/env bash
# Drives `npx iota-tui` in tmux as a new user would (fresh HOME, nothing running): the wizard, then
# the mining dashboard on the devnet it starts; resize to 80x24; an attached client detaches and
# re-attaches (an SSH drop); q then y. Prints each screen. Run after `npm ci` in a clone.
# Usage: bash scripts/tmux-miner.sh [capture-file]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/dev/stdout}
home=$(mktemp -d)
session=iota-miner-$$
cleanup() {
	tmux kill-session -t "$session" 2>/dev/null || true
	pkill -f "iota-tui.* devnet --chain-port" 2>/dev/null || pkill -f "cli.js devnet --chain-port" 2>/dev/null || true
	rm -rf "$home"
}
trap cleanup EXIT
tmux new-session -d -s "$session" -x 120 -y 40 "HOME=$home npx iota-tui; sleep 600"
shot() { sleep "${2:-1}"; { echo "---- $1"; tmux capture-pane -p -t "$session" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; } >> "$out"; }
type_line() { tmux send-keys -t "$session" -l "$1"; sleep 0.5; tmux send-keys -t "$session" Enter; }
wait_for() { for _ in $(seq 1 240); do tmux capture-pane -p -t "$session" | grep -q "$1" && return 0; sleep 0.5; done; echo "timed out waiting for: $1" >&2; tmux capture-pane -p -t "$session" >&2; exit 1; }
wait_for 'What would you like to do'
tmux send-keys -t "$session" Enter; wait_for 'Write it down'
words=$(tmux capture-pane -p -t "$session")
tmux send-keys -t "$session" Enter; wait_for 'type word #'
n=$(tmux capture-pane -p -t "$session" | grep -o 'word #[0-9]*' | head -1 | tr -dc 0-9)
type_line "$(echo "$words" | grep -o "\b$n\. [a-z]*" | head -1 | awk '{print $2}')"
wait_for 'Choose a password'; type_line devnet-pass; wait_for 'again'; type_line devnet-pass
wait_for 'Which network'; tmux send-keys -t "$session" Enter
wait_for 'Register the hotkey now'; shot 'wizard: balance and burn on the devnet it started' 0.3
tmux send-keys -t "$session" y; wait_for 'registered on subnet'; shot 'wizard: registered' 0.3
tmux send-keys -t "$session" Enter; wait_for 'Batches toward merge'
wait_for 'backward passes before merge'; shot 'dashboard 120x40' 20
tmux resize-window -t "$session" -x 80 -y 24; shot 'dashboard resized to 80x24' 3
# An attached client (a user's SSH session) detaches, then attaches again: the miner never stops.
script -qc "tmux attach -t $session" /dev/null > /dev/null 2>&1 &
client=$!
sleep 2; tmux detach-client -s "$session" || true; wait "$client" 2>/dev/null || true
shot 'after a client detached (miner still running)' 10
script -qc "tmux attach -t $session" /dev/null > /dev/null 2>&1 &
client=$!
sleep 2; shot 're-attached' 1
tmux send-keys -t "$session" q; wait_for 'Quit the miner'; shot 'q: what stops and what is lost' 0.3
tmux send-keys -t "$session" y; shot 'after y' 8
kill "$client" 2>/dev/null || true
