#!/usr/bin/env bash
# Drives `npx iota-tui` in tmux as a new user would over SSH (fresh HOME, nothing running; each
# answer and its Enter in one send-keys): the wizard, then the mining dashboard on the devnet it
# starts; with WAIT_INCENTIVE=1, until the score panel's incentive is non-zero (and `status --json`
# agrees); resize to 80x24; a client detaches and re-attaches (an SSH drop); q then y.
# Prints each screen. Run after `npm ci` in a clone. Usage: bash scripts/tmux-miner.sh [capture-file]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/dev/stdout}
home=$(mktemp -d)
session=miner
. scripts/tmux-lib.sh
trap cleanup EXIT
password='devnet-pass'
t new-session -d -s "$session" -x 120 -y 40 "HOME=$home npx iota-tui; sleep 600"
wait_for 'What would you like to do'
t send-keys -t "$session" Enter; wait_for 'Write it down'
words=$(t capture-pane -p -t "$session")
t send-keys -t "$session" Enter; wait_for 'type word #'
n=$(t capture-pane -p -t "$session" | grep -o 'word #[0-9]*' | head -1 | tr -dc 0-9)
type_line "$(echo "$words" | grep -o "\b$n\. [a-z]*" | head -1 | awk '{print $2}')"
wait_for 'Choose a password'; type_line "$password"; wait_for 'again'; type_line "$password"
wait_for 'Which network'; t send-keys -t "$session" Enter
wait_for 'Register the hotkey now' 180; shot 'wizard: balance and burn on the devnet it started' 0.3
type_line y; wait_for 'registered on subnet' 120; shot 'wizard: registered' 0.3
check_coldkey "$password"
started=$(date +%s)
# Enter runs the doctor first; with warnings it waits for a second Enter, a blocking failure stops here.
t send-keys -t "$session" Enter; wait_for 'Batches toward merge\|start mining, q to quit\|mining cannot start\|All checks passed' 120
if t capture-pane -p -t "$session" | grep -q 'start mining, q to quit'; then shot 'doctor before mining' 0.3; t send-keys -t "$session" Enter; fi
wait_for 'Batches toward merge'
wait_for 'backward passes before merge' 300; shot 'dashboard 120x40' 20
# The pre-flight report while the devnet and the miner run, as `iota-tui doctor --json` prints it.
{ echo '---- iota-tui doctor --json (the devnet and the miner running)'; HOME=$home node dist/cli.js doctor --json || true; } >> "$out" 2>&1
if [ "${WAIT_INCENTIVE:-0}" = 1 ]; then
	wait_for 'incentive [0-9.]*[1-9]' 1800
	shot "incentive non-zero after $(( $(date +%s) - started )) s of mining" 0
	HOME=$home node dist/cli.js status --network devnet --json | grep -o '"incentive":[^,]*' | head -1 | sed 's/^/---- status --json: /' >> "$out"
fi
t resize-window -t "$session" -x 80 -y 24; shot 'dashboard resized to 80x24' 3
# An attached client (a user's SSH session) detaches, then attaches again: the miner never stops.
script -qc "tmux -L $sock attach -t $session" /dev/null > /dev/null 2>&1 &
client=$!
sleep 2; t detach-client -s "$session" || true; wait "$client" 2>/dev/null || true
shot 'after a client detached (miner still running)' 10
script -qc "tmux -L $sock attach -t $session" /dev/null > /dev/null 2>&1 &
client=$!
sleep 2; shot 're-attached' 1
t send-keys -t "$session" q; wait_for 'Quit the miner'; shot 'q: what stops and what is lost' 0.3
type_line y; shot 'after y' 8
kill "$client" 2>/dev/null || true
