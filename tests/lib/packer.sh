# Shell helpers for the tests that run Debian's packer.
#   . tests/lib/packer.sh
#   packer_find             sets $packer ($PACKER or packer in PATH); exits 77 (skip) when there is none
#   packer_env WORK_DIR     keeps packer's home, cache, log and temp files in WORK_DIR, no version
#                           check, no proxy for 127.0.0.1; exports PACKER for orchestrator
#   wait_keeping_secret PID SECRET
#                           waits for PID (its exit status is returned); returns 99 when SECRET showed
#                           on the command line of a running `packer build` meanwhile

packer_find() {
  packer=${PACKER:-$(command -v packer || true)}
  if [ -z "$packer" ]; then echo "packer not installed; skipping"; exit 77; fi
}

packer_env() {
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
  export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
  export HOME=$1 PACKER_CACHE_DIR=$1/packer_cache PACKER_CONFIG_DIR=$1 CHECKPOINT_DISABLE=1 \
    PACKER_NO_COLOR=1 PACKER_LOG=1 PACKER_LOG_PATH=$1/packer.log TMPDIR=$1 PACKER=$packer
}

wait_keeping_secret() {
  local pid=$1 secret=$2 leaked=0 p rc=0
  while kill -0 "$pid" 2>/dev/null; do
    for p in $(pgrep -f 'packer build' || true); do
      if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$secret"; then leaked=1; fi
    done
    sleep 0.2
  done
  wait "$pid" || rc=$?
  if [ "$leaked" = 1 ]; then return 99; fi
  return "$rc"
}
