#!/usr/bin/env bash
# Starts a real SMTP server for the e-mail tests and exports where it is.
#
# Usage (source it, like scripts/test-postgres.sh):
#     . scripts/test-smtp.sh        # starts it, exports MOSTRADOR_TEST_SMTP_*
#     cargo test -p mostrador-core --test channels_email
#     test_smtp_stop
#
# The server is Debian's python3-aiosmtpd (scripts/lib/smtp-test-server.py): STARTTLS required
# with a throwaway certificate for "localhost" (its PEM is the CA the tests trust), AUTH required,
# and every accepted message stored in a Maildir the tests read.

_test_smtp_main() {
    # Debian's python first: a pyenv/venv python3 earlier on PATH does not see the .deb module.
    local py
    for py in /usr/bin/python3 python3; do
        "$py" -c 'import aiosmtpd' 2>/dev/null && break
        py=
    done
    [ -n "$py" ] || {
        echo "test-smtp: python3-aiosmtpd is missing; apt-get install -y python3-aiosmtpd" >&2
        return 1
    }
    local here dir port tries=0
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    dir=$(mktemp -d /tmp/mostrador-smtp.XXXXXX) || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 \
        || { cat "$dir/openssl.log" >&2; return 1; }
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        tries=$((tries + 1))
        if [ "$tries" -gt 50 ]; then echo "test-smtp: no free port" >&2; return 1; fi
    done
    "$py" "$here/lib/smtp-test-server.py" "$port" "$dir/maildir" "$dir/cert.pem" "$dir/key.pem" \
        mostrador test-smtp-password >"$dir/server.log" 2>&1 &
    echo $! >"$dir/pid"
    local i
    for i in $(seq 1 100); do
        grep -q ready "$dir/server.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q ready "$dir/server.log" || { cat "$dir/server.log" >&2; return 1; }
    export MOSTRADOR_TEST_SMTP_DIR="$dir"
    export MOSTRADOR_TEST_SMTP_HOST=localhost
    export MOSTRADOR_TEST_SMTP_PORT="$port"
    export MOSTRADOR_TEST_SMTP_USER=mostrador
    export MOSTRADOR_TEST_SMTP_PASSWORD=test-smtp-password
    export MOSTRADOR_TEST_SMTP_CA="$dir/cert.pem"
    export MOSTRADOR_TEST_SMTP_MAILDIR="$dir/maildir"
    echo "test-smtp: listening on localhost:$port (STARTTLS + AUTH), mail in $dir/maildir" >&2
}

test_smtp_stop() {
    [ -n "${MOSTRADOR_TEST_SMTP_DIR:-}" ] || return 0
    [ -f "$MOSTRADOR_TEST_SMTP_DIR/pid" ] && kill "$(cat "$MOSTRADOR_TEST_SMTP_DIR/pid")" 2>/dev/null
    rm -rf "$MOSTRADOR_TEST_SMTP_DIR"
    unset MOSTRADOR_TEST_SMTP_DIR MOSTRADOR_TEST_SMTP_HOST MOSTRADOR_TEST_SMTP_PORT \
        MOSTRADOR_TEST_SMTP_USER MOSTRADOR_TEST_SMTP_PASSWORD MOSTRADOR_TEST_SMTP_CA \
        MOSTRADOR_TEST_SMTP_MAILDIR
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    _test_smtp_main && env | grep '^MOSTRADOR_TEST_SMTP_'
else
    _test_smtp_main
fi
