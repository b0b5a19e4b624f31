# Test registries for tests/e2e/registry.bats: Debian's docker-registry
# (distribution 2.8) on 127.0.0.1 with a free port and a generated config,
# optionally with TLS (a throwaway CA made with openssl), htpasswd basic
# auth (bcrypt, apache2-utils' htpasswd) or bearer tokens from
# token-server.py; and proxy.py in front of one, to misbehave.
# Nothing here touches anything outside the directory it is given.

REGISTRY_HELPERS=${REGISTRY_HELPERS:-$BATS_TEST_DIRNAME/registry}
REGISTRY_USER=berthuser
REGISTRY_PASSWORD='s3cret pass:word'

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL: until something answers there (any HTTP status), 10 s at most.
wait_http() {
	local i
	for i in $(seq 1 100); do
		if curl -sk -o /dev/null --max-time 1 "$1"; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing answers at $1" >&2
	return 1
}

# make_ca DIR: DIR/ca.crt (a throwaway CA; DIR is then a --cert-dir for
# berth and skopeo) and, under DIR/private/, its key and a server
# certificate for 127.0.0.1 and localhost signed by it (server.crt, server.key).
make_ca() {
	local d=$1 p=$1/private
	mkdir -p "$p"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
		-keyout "$p/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$p/server.key" -out "$p/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$p/ext.cnf"
	openssl x509 -req -in "$p/server.csr" -CA "$d/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
		-days 2 -extfile "$p/ext.cnf" -out "$p/server.crt" 2>/dev/null
}

# registry_start DIR [--tls] [--htpasswd] [--token]: a registry storing under
# DIR; sets REG (127.0.0.1:PORT), REG_PID; with --tls, DIR/tls/ca.crt is its
# CA; with --token, TOKEN_LOG is the token server's request log.
registry_start() {
	local dir=$1 tls=0 auth=none port tport
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) tls=1 ;;
		--htpasswd) auth=htpasswd ;;
		--token) auth=token ;;
		esac
		shift
	done
	mkdir -p "$dir/data"
	port=$(free_port)
	{
		printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/data"
		printf 'http:\n  addr: 127.0.0.1:%s\n  secret: berth-test\n' "$port"
	} >"$dir/config.yml"
	if [ "$tls" = 1 ]; then
		make_ca "$dir/tls"
		printf '  tls:\n    certificate: %s\n    key: %s\n' "$dir/tls/private/server.crt" "$dir/tls/private/server.key" >>"$dir/config.yml"
	fi
	case "$auth" in
	htpasswd)
		htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$dir/htpasswd"
		printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$dir/htpasswd" >>"$dir/config.yml"
		;;
	token)
		tport=$(free_port)
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-token \
			-keyout "$dir/token.key" -out "$dir/token.crt" 2>/dev/null
		printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: berth-test-registry\n' "$tport" >>"$dir/config.yml"
		printf '    issuer: berth-test-issuer\n    rootcertbundle: %s\n' "$dir/token.crt" >>"$dir/config.yml"
		TOKEN_LOG=$dir/token.log
		: >"$TOKEN_LOG"
		python3 "$REGISTRY_HELPERS/token-server.py" "$tport" "$dir/token.key" "$dir/token.crt" berth-test-issuer \
			"$REGISTRY_USER" "$REGISTRY_PASSWORD" "$TOKEN_LOG" >"$dir/token-server.log" 2>&1 3>&- &
		echo $! >"$dir/token.pid"
		wait_http "http://127.0.0.1:$tport/"
		;;
	esac
	docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 3>&- &
	REG_PID=$!
	echo "$REG_PID" >"$dir/registry.pid"
	REG=127.0.0.1:$port
	if [ "$tls" = 1 ]; then
		wait_http "https://$REG/v2/"
	else
		wait_http "http://$REG/v2/"
	fi
}

# registry_stop DIR: stop what registry_start and proxy_start started there.
registry_stop() {
	local f
	for f in "$1"/*.pid; do
		[ -e "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

# proxy_start DIR UPSTREAM MODE [ARG]: proxy.py in front of the registry
# UPSTREAM (127.0.0.1:PORT); sets PROXY (127.0.0.1:PORT) and PROXY_LOG.
proxy_start() {
	local dir=$1 upstream=$2 mode=$3 arg=${4:-} port
	port=$(free_port)
	PROXY_LOG=$dir/proxy-$port.log
	: >"$PROXY_LOG"
	python3 "$REGISTRY_HELPERS/proxy.py" "$port" "${upstream##*:}" "$mode" "$PROXY_LOG" "$arg" \
		>"$dir/proxy-$port.out" 2>&1 3>&- &
	echo $! >"$dir/proxy-$port.pid"
	PROXY=127.0.0.1:$port
	wait_http "http://$PROXY/v2/"
}
