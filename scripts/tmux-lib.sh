# Shared by the tmux drivers: our own tmux server (-L), typing as over SSH (the text and its Enter
# in ONE send-keys call, no pause), screen captures, and stopping the devnet we started by its pid.
# Expects $session, $home and $out to be set by the caller.
sock=iota-$$
t() { tmux -L "$sock" "$@"; }
shot() { sleep "${2:-1}"; { echo "---- $1"; t capture-pane -p -t "$session" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; } >> "$out"; }
type_line() { t send-keys -t "$session" -l "$1"$'\r'; }
wait_for() {
	local tries=$(( ${2:-120} * 2 ))
	for _ in $(seq 1 "$tries"); do t capture-pane -p -t "$session" | grep -q -- "$1" && return 0; sleep 0.5; done
	echo "timed out waiting for: $1" >&2; t capture-pane -p -t "$session" >&2; exit 1
}
# The autostarted devnet is its own process group (chain, store, orchestrator, miners): stop that group.
stop_devnet() {
	local pidfile="$home/.local/share/iota-tui/devnet.pid" pid
	[ -f "$pidfile" ] || return 0
	pid=$(tr -dc 0-9 < "$pidfile")
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || return 0
	for _ in $(seq 1 40); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.5; done
	kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() {
	t kill-server 2>/dev/null || true # our own server only (-L $sock)
	stop_devnet
	rm -rf "$home"
}
# The coldkey must open with PyNaCl (bittensor's recipe) under exactly the password typed.
check_coldkey() {
	local wallet="$home/.bittensor/wallets/default" got want
	got=$(/usr/bin/python3 scripts/open-coldkey.py "$wallet/coldkey" "$1")
	want=$(grep -o '"ss58Address": *"[^"]*"' "$wallet/coldkeypub.txt" | sed 's/.*"\([^"]*\)"$/\1/')
	[ "$got" = "$want" ] || { echo "PyNaCl opened a different key: $got vs $want" >&2; exit 1; }
	echo "---- PyNaCl opened the coldkey with the typed password: $got" >> "$out"
}
