#!/usr/bin/env bats
# berth's networking: the default bridge, published ports (127.0.0.1, the
# bridge's address, another host, another container, the container itself),
# user-defined networks and names, none/host/container:, 50 concurrent
# containers, and what crashes leave (network prune).
#
# Every test runs berth in a network namespace of its own ($NS, made here
# with `ip netns add`): berth0, the veths and the nftables table live there
# and go with it.  No traffic leaves the machine; the "other host" is one
# more namespace on a veth.

load berth

setup() {
	berth_setup
	command -v nft >/dev/null || skip "nft(8) not installed (scripts/deps.sh)"
	command -v ip >/dev/null || skip "ip(8) not installed"
	NS=berth-bt-$$-$BATS_TEST_NUMBER
	PEER=
	ip netns add "$NS" || skip "cannot make a network namespace"
	ip -n "$NS" link set lo up
	berth_bootstrap >/dev/null
}

teardown() {
	local id
	for id in $(ctr_ids); do
		nb rm -f "$id" >/dev/null 2>&1 || true
	done
	[ -z "$PEER" ] || ip netns del "$PEER" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	berth_teardown
}

# nb ARGS...: berth in the test's namespace.
nb() {
	nsenter --net="/run/netns/$NS" "$BERTH" "$@"
}

# in_ns CMD...: a command in the test's namespace (the "host" of these tests).
in_ns() {
	nsenter --net="/run/netns/$NS" "$@"
}

# fetch URL: the page, from the test's namespace (busybox wget's -T crashes: timeout instead).
fetch() {
	in_ns timeout 5 busybox wget -q -O- "$1"
}

# wait_fetch URL: until the server answers (up to 5 s).
wait_fetch() {
	local i
	for i in $(seq 50); do
		fetch "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "no answer from $1"
}

ctr_ids() {
	ls "$BERTH_ROOT/containers" 2>/dev/null || true
	sqlite3 "$BERTH_ROOT/berth.db" 'SELECT id FROM containers' 2>/dev/null || true
}

# The nftables table of this test's store (one per store root).
table() {
	in_ns nft list tables | awk '$1 == "table" && $2 == "ip" && $3 ~ /^berth/ { print $3 }'
}

# port_elements: the published-port elements in the table, one per line.
port_elements() {
	local t
	t=$(table)
	[ -n "$t" ] || return 0
	in_ns nft list map ip "$t" ports-any | grep -o '[a-z]* \. [0-9]* comment "[0-9a-f]*" : [0-9.]* \. [0-9]*' || true
	in_ns nft list map ip "$t" ports-addr | grep -o '[0-9.]* \. [a-z]* \. [0-9]* comment "[0-9a-f]*" : [0-9.]* \. [0-9]*' || true
}

veths() {
	in_ns ip -o link show type veth | awk -F': ' '{ print $2 }'
}

netns_files() {
	ls "$BERTH_RUN_ROOT/netns" 2>/dev/null || true
}

# wait_no_veths: the kernel frees a namespace (and its veth pair) asynchronously.
wait_no_veths() {
	local i
	for i in $(seq 100); do
		[ -z "$(veths)" ] && return 0
		sleep 0.1
	done
	fail "veths left: $(veths | tr '\n' ' ')"
}

leases() {
	nb network inspect "${1:-bridge}" --format '{{json .Containers}}' | jq -r '.[].IPv4Address'
}

httpd() {
	nb run -d --name "$1" "${@:2}" busybox sh -c \
		"mkdir -p /www && echo hello-from-$1 > /www/index.html && exec httpd -f -p 80 -h /www"
}

@test "bridge: eth0 with an address of 10.88.0.0/16, a default route, /etc/hosts with it" {
	run -0 nb run --rm --name c1 busybox sh -c 'ip -4 -o addr show eth0; ip route; cat /etc/hosts; cat /etc/hostname'
	[[ "$output" == *"inet 10.88.0.2/16"* ]] || fail "$output"
	assert_output_contains "default via 10.88.0.1 dev eth0"
	assert_output_contains "$(printf '10.88.0.2\t')"
	# berth0 carries the gateway; forwarding and route_localnet are on
	run -0 in_ns ip -4 -o addr show berth0
	assert_output_contains "10.88.0.1/16"
	[ "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	[ "$(in_ns cat /proc/sys/net/ipv4/conf/berth0/route_localnet)" = 1 ]
	# --rm gave the lease back and left no namespace
	[ -z "$(leases)" ] || fail "leases: $(leases)"
	[ -z "$(netns_files)" ] || fail "netns: $(netns_files)"
	wait_no_veths
}

@test "-p 18080:80: the page from 127.0.0.1, the bridge's address, another host, another container and itself" {
	httpd web -p 18080:80
	wait_fetch http://127.0.0.1:18080/
	run -0 fetch http://127.0.0.1:18080/
	assert_output_is hello-from-web
	run -0 fetch http://10.88.0.1:18080/
	assert_output_is hello-from-web
	# another host: a namespace on a veth, talking to the host's address on that link
	PEER=berth-bp-$$-$BATS_TEST_NUMBER
	ip netns add "$PEER"
	ip link add bpeer0 netns "$NS" type veth peer name eth0 netns "$PEER"
	ip -n "$NS" addr add 192.168.77.1/24 dev bpeer0
	ip -n "$NS" link set bpeer0 up
	ip -n "$PEER" addr add 192.168.77.2/24 dev eth0
	ip -n "$PEER" link set eth0 up
	ip -n "$PEER" link set lo up
	run -0 ip netns exec "$PEER" timeout 5 busybox wget -q -O- http://192.168.77.1:18080/
	assert_output_is hello-from-web
	# another container, through the host's address (DNAT, then masquerade back onto the bridge)
	run -0 nb run --rm busybox wget -q -O- http://10.88.0.1:18080/
	assert_output_is hello-from-web
	# the container through its own published port (hairpin)
	run -0 nb exec web wget -q -O- http://10.88.0.1:18080/
	assert_output_is hello-from-web
	# one map element, tagged with the container's id
	id=$(ls "$BERTH_ROOT/containers")
	run -0 port_elements
	assert_output_is "tcp . 18080 comment \"${id:0:12}\" : 10.88.0.2 . 80"
	# what ps and port show, in docker's words
	run -0 nb ps --format '{{.Names}} {{.Ports}}'
	assert_output_is "web 0.0.0.0:18080->80/tcp"
	run -0 nb port web
	assert_output_is "80/tcp -> 0.0.0.0:18080"
}

@test "-p 127.0.0.1:P:80 answers on 127.0.0.1 only; -p 80 takes a free port; a taken port is refused" {
	httpd local -p 127.0.0.1:18081:80 -p 80
	wait_fetch http://127.0.0.1:18081/
	run -0 fetch http://127.0.0.1:18081/
	assert_output_is hello-from-local
	run ! fetch http://10.88.0.1:18081/
	# the random port: from the map, in the kernel's ephemeral range
	port=$(port_elements | awk '$1 == "tcp" { print $3 }')
	lo=$(in_ns cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	hi=$(in_ns cut -f2 /proc/sys/net/ipv4/ip_local_port_range)
	[ "$port" -ge "$lo" ] && [ "$port" -le "$hi" ] || fail "port $port not in $lo-$hi"
	run -0 fetch "http://10.88.0.1:$port/"
	assert_output_is hello-from-local
	# berth port says the same (docker's format)
	run -0 nb port local
	assert_output_contains "80/tcp -> 0.0.0.0:$port"
	assert_output_contains "80/tcp -> 127.0.0.1:18081"
	# the same host port again: docker's message, status 125, the first one unharmed
	run -125 nb run -d --name again -p 127.0.0.1:18081:80 busybox sleep 60
	assert_output_contains "Bind for 127.0.0.1:18081 failed: port is already allocated"
	run -125 nb run -d --name again2 -p 18081:80 busybox sleep 60
	assert_output_contains "port is already allocated"
	run -0 fetch http://127.0.0.1:18081/
	# a port a host process listens on
	nsenter --net="/run/netns/$NS" busybox nc -l -p 18099 >/dev/null 2>&1 &
	nc_pid=$!
	sleep 0.2
	run -125 nb run -d --name again3 -p 18099:80 busybox sleep 60
	kill "$nc_pid" 2>/dev/null || true
	wait "$nc_pid" 2>/dev/null || true
	assert_output_contains "address already in use"
	# bad specs fail before anything is made
	run -125 nb run --rm -p 80/sctpx busybox true
	assert_output_contains "invalid proto: sctpx"
	run -125 nb run --rm --network none -p 80 busybox true
	assert_output_contains "conflicting options: port publishing and the container type network mode"
}

@test "stop withdraws the ports and the namespace; start brings them back with the same address" {
	httpd web -p 18082:80
	wait_fetch http://127.0.0.1:18082/
	nb stop -t 1 web
	# the monitor's cleanup withdraws them, right after the exit
	for i in $(seq 50); do
		[ -z "$(port_elements)" ] && [ -z "$(netns_files)" ] && break
		sleep 0.1
	done
	[ -z "$(port_elements)" ] || fail "ports: $(port_elements)"
	[ -z "$(netns_files)" ] || fail "netns: $(netns_files)"
	wait_no_veths
	run -0 leases
	assert_output_is 10.88.0.2/16
	nb start web
	wait_fetch http://127.0.0.1:18082/
	run -0 nb exec web ip -4 -o addr show eth0
	assert_output_contains 10.88.0.2/16
}

@test "-P publishes the image's and --expose'd ports on random host ports" {
	nb run -d --name pub -P --expose 80 --expose 7000-7001/udp busybox sh -c \
		'mkdir -p /www && echo all > /www/index.html && exec httpd -f -p 80 -h /www'
	run -0 port_elements
	[ "$(echo "$output" | grep -c '^tcp')" = 1 ] || fail "$output"
	[ "$(echo "$output" | grep -c '^udp')" = 2 ] || fail "$output"
	port=$(port_elements | awk '$1 == "tcp" { print $3 }')
	wait_fetch "http://127.0.0.1:$port/"
}

@test "user network: containers reach each other by name, /etc/hosts follows them" {
	run -0 nb network create --subnet 10.99.0.0/24 --label team=a appnet
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "$output"
	httpd srv --network appnet --network-alias db
	run -0 nb run --rm --name cli --network appnet busybox sh -c 'wget -q -O- http://srv/ && wget -q -O- http://db/'
	assert_output_is "$(printf 'hello-from-srv\nhello-from-srv')"
	nb run -d --name peer2 --network appnet busybox sleep 600
	run -0 nb exec srv cat /etc/hosts
	assert_output_contains "$(printf '10.99.0.3\tpeer2')"
	run -0 nb exec peer2 ping -c 1 -W 2 srv
	nb rm -f peer2
	run -0 nb exec srv cat /etc/hosts
	refute_output_contains peer2
	# the default bridge and other networks do not reach in (dropped: timeout
	# ends wget; not as PID 1, which ignores the signal)
	run -0 nb run --rm busybox sh -c 'timeout 2 wget -q -O- http://10.99.0.2/ || echo blocked; exit 0'
	assert_output_contains blocked
	run -0 nb network inspect appnet --format '{{.Name}} {{index .Labels "team"}} {{json .IPAM.Config}}'
	assert_output_is 'appnet a [{"Subnet":"10.99.0.0/24","Gateway":"10.99.0.1"}]'
	# in use: refused; unused: gone, with its bridge
	bridge=br-$(nb network ls -q --no-trunc -f name=appnet | cut -c1-12)
	in_ns ip link show "$bridge" >/dev/null
	run -1 nb network rm appnet
	assert_output_contains "has active endpoints"
	nb rm -f srv
	run -0 nb network rm appnet
	assert_output_is appnet
	run ! in_ns ip link show "$bridge"
}

@test "network connect/disconnect: a running container gets and loses eth1" {
	nb network create n1 >/dev/null
	nb run -d --name c1 busybox sleep 600
	nb network connect n1 c1
	run -0 nb exec c1 ip -4 -o addr show eth1
	assert_output_contains "10.89."
	run -0 nb network inspect n1 --format '{{json .Containers}}'
	assert_output_contains '"Name":"c1"'
	nb network disconnect n1 c1
	run ! nb exec c1 ip link show eth1
	[ -z "$(leases n1)" ] || fail "leases: $(leases n1)"
	run -1 nb network connect nosuchnet c1
	assert_output_contains "network nosuchnet not found"
}

@test "network ls, create errors, prune" {
	run -0 nb network ls --format '{{.Name}} {{.Driver}}'
	assert_output_is "$(printf 'bridge bridge\nhost host\nnone null')"
	run -1 nb network create --subnet 10.88.1.0/24 clash
	assert_output_contains "Pool overlaps with other one on this address space"
	run -1 nb network create --subnet 10.50.0.1/24 bad
	assert_output_contains "invalid subnet 10.50.0.1/24 : it should be 10.50.0.0/24"
	nb network create keep >/dev/null
	nb network create drop >/dev/null
	nb run -d --name user --network keep busybox sleep 600
	run -0 nb network prune -f
	assert_output_is "$(printf 'Deleted Networks:\ndrop')"
	run -0 nb network ls -q -f type=custom --format '{{.Name}}'
	run -0 nb network ls --format '{{.Name}}' -f type=custom
	assert_output_is keep
	run -1 nb network rm host
	assert_output_contains "host is a pre-defined network and cannot be removed"
}

@test "--network none has lo only; host sees the host's interfaces; container:NAME shares one" {
	ip -n "$NS" link add bt-dummy0 type veth peer name bt-dummy1
	run -0 nb run --rm --network none busybox ip -o link
	[ "$(echo "$output" | wc -l)" = 1 ] || fail "$output"
	assert_output_contains "1: lo:"
	run -0 nb run --rm --network host busybox ip -o link
	assert_output_contains bt-dummy0
	httpd web
	run -0 nb run --rm --network container:web busybox wget -q -O- http://127.0.0.1/
	assert_output_is hello-from-web
	run -0 nb run --rm --network container:web busybox cat /etc/hosts
	assert_output_contains "$(printf '10.88.0.2\t')"
	run -125 nb run --rm --network container:nosuch busybox true
	assert_output_contains "No such container: nosuch"
	run -125 nb run --rm --network nosuchnet busybox true
	assert_output_contains "network nosuchnet not found"
}

@test "50 containers started at once get 50 addresses; removed at once, nothing is left" {
	local i pids=()
	for i in $(seq 50); do
		nb run -d --name "c$i" -p 80 busybox sleep 600 >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || { cat "$BATS_TEST_TMPDIR"/out.*; fail "a run failed"; }
	done
	run -0 leases
	[ "$(echo "$output" | sort -u | wc -l)" = 50 ] || fail "addresses: $output"
	[ "$(port_elements | awk '{ print $3 }' | sort -u | wc -l)" = 50 ] || fail "ports: $(port_elements)"
	[ "$(veths | wc -l)" = 50 ] || fail "veths: $(veths | wc -l)"
	run -0 nb exec c1 ping -c 1 -W 2 "$(nb exec c50 hostname -i)"
	pids=()
	for i in $(seq 50); do
		nb rm -f "c$i" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail "an rm failed"
	done
	[ -z "$(leases)" ] || fail "leases: $(leases)"
	[ -z "$(port_elements)" ] || fail "ports: $(port_elements)"
	[ -z "$(netns_files)" ] || fail "netns: $(netns_files)"
	wait_no_veths
	[ "$(sqlite3 "$BERTH_ROOT/berth.db" 'SELECT count(*) FROM net_endpoints; SELECT count(*) FROM net_ports' | tr '\n' ' ')" = "0 0 " ]
	! grep -F "$BERTH_RUN_ROOT/netns" /proc/self/mountinfo
}

@test "kill -9 of berth in the middle of a start: network prune removes the namespace, veth and ports" {
	# the store's network lock held by another process: start stops where it
	# publishes the ports, its namespace and veth made, and is killed there
	nb run --rm busybox true
	nb create --name stuck -p 80 busybox sleep 600 >/dev/null
	# -o: flock itself holds the lock, not its sleep, which would keep it
	# (and this test's output) for a minute after flock is killed
	flock -o "$BERTH_RUN_ROOT/network.lock" sleep 60 </dev/null >/dev/null 2>&1 &
	holder=$!
	sleep 0.2
	nsenter --net="/run/netns/$NS" "$BERTH" start stuck &
	pid=$!
	for i in $(seq 50); do
		[ -n "$(netns_files)" ] && [ -n "$(veths)" ] && break
		sleep 0.1
	done
	sleep 0.2
	kill -9 "$pid"
	wait "$pid" || true
	pkill -P "$holder" sleep || true
	kill "$holder" 2>/dev/null || true
	wait "$holder" || true
	[ -n "$(netns_files)" ] || fail "the namespace should be there"
	[ -n "$(veths)" ] || fail "the veth should be there"
	run -0 nb network prune -f
	assert_output_contains "Removed leftovers: 1 network namespaces"
	[ -z "$(netns_files)" ] || fail "netns: $(netns_files)"
	wait_no_veths
	[ -z "$(port_elements)" ] || fail "ports: $(port_elements)"
	# the container is there (created): its lease too, until rm
	run -0 leases
	assert_output_is 10.88.0.2/16
	nb rm -f stuck
	[ -z "$(leases)" ] || fail "leases: $(leases)"
}

@test "kill -9 of berth at random points: prune and rm leave nothing" {
	local i
	for i in $(seq 12); do
		# nsenter execs berth: $! is berth itself, not a subshell
		nsenter --net="/run/netns/$NS" "$BERTH" run -d -p 80 busybox sleep 600 >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# what is left belongs to containers that run: one of each.  A start
	# killed while the monitor's helper (a fork of berth) still held the
	# container's lock is hands off until the helper is gone: prune again.
	for i in $(seq 10); do
		nb network prune -f >/dev/null
		n_ns=$(netns_files | wc -l)
		[ "$(port_elements | wc -l)" = "$n_ns" ] && break
		sleep 0.5
	done
	[ "$(port_elements | wc -l)" = "$n_ns" ] || fail "netns $n_ns, ports $(port_elements | wc -l)"
	for i in $(seq 50); do
		[ "$(veths | wc -l)" = "$n_ns" ] && break
		sleep 0.1
	done
	[ "$(veths | wc -l)" = "$n_ns" ] || fail "netns $n_ns, veths $(veths | wc -l)"
	for id in $(ctr_ids); do
		nb rm -f "$id" >/dev/null 2>&1 || true
	done
	[ -z "$(leases)" ] || fail "leases: $(leases)"
	[ -z "$(port_elements)" ] || fail "ports: $(port_elements)"
	[ -z "$(netns_files)" ] || fail "netns: $(netns_files)"
	wait_no_veths
}

@test "the table is berth's own: other tables are untouched, and it is rebuilt after a flush" {
	in_ns nft add table ip other
	in_ns nft add chain ip other c
	httpd web -p 18083:80
	wait_fetch http://127.0.0.1:18083/
	run -0 in_ns nft list tables
	assert_output_contains "table ip other"
	# someone deletes berth's table: prune puts it back from the database
	in_ns nft delete table ip "$(table)"
	run ! fetch http://127.0.0.1:18083/
	nb network prune -f >/dev/null
	run -0 fetch http://127.0.0.1:18083/
	assert_output_is hello-from-web
	run -0 in_ns nft list chain ip other c
}

@test "a host port held by a container that no longer runs (its monitor killed) goes to the next one" {
	httpd old -p 18085:80
	wait_fetch http://127.0.0.1:18085/
	id=$(sqlite3 "$BERTH_ROOT/berth.db" "SELECT id FROM containers WHERE name = 'old'")
	monitor=$(sqlite3 "$BERTH_ROOT/berth.db" "SELECT monitor_pid FROM containers WHERE name = 'old'")
	init=$(sqlite3 "$BERTH_ROOT/berth.db" "SELECT pid FROM containers WHERE name = 'old'")
	# no monitor, no cleanup: the port stays reserved for a container that is gone
	kill -9 "$monitor" "$init"
	for i in $(seq 50); do
		kill -0 "$monitor" 2>/dev/null || kill -0 "$init" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$(port_elements)" ] || fail "the old port should still be there"
	httpd new -p 18085:80
	wait_fetch http://127.0.0.1:18085/
	run -0 fetch http://127.0.0.1:18085/
	assert_output_is hello-from-new
	run -0 port_elements
	[ "$(echo "$output" | wc -l)" = 1 ] || fail "$output"
	refute_output_contains "${id:0:12}"
}
