#!/usr/bin/env bash
# Integration tests for criruntime-launch. Every case runs real containers
# from a busybox rootfs, once with our launcher and once with runc, on the
# same bundles. Needs root, runc, busybox-static, python3, gcc.
# Output: one line per case and runtime, then "launcher: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
LAUNCH=${LAUNCH:-$TOP/src/launcher/out/criruntime-launch}
RUNC=${RUNC:-$(command -v runc || true)}
ONLY=${ONLY:-}            # run only cases whose name matches this regex
WORK=$(mktemp -d /tmp/launcher-tests.XXXXXX)
chmod 755 "$WORK"   # user-namespaced roots must traverse it
CGPREFIX=/criruntime-launch-test-$$
PASS=0 FAIL=0 GAPS=0 SKIPS=0

cleanup_all() {
	for h in /sys/fs/cgroup/*/; do
		[ -d "$h$CGPREFIX" ] || continue
		find "$h$CGPREFIX" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup_all EXIT

[ "$(id -u)" = 0 ] || { echo "launcher tests need root"; echo "launcher: 0 passed, 1 failed"; exit 1; }
make -s -C "$TOP/src/launcher" >/dev/null || { echo "launcher: 0 passed, 1 failed"; exit 1; }
"$TOP/hack/build-test-rootfs.sh" "$WORK/base-rootfs" || { echo "launcher: 0 passed, 1 failed"; exit 1; }
gcc -O2 -Wall -o "$WORK/recvtty" "$HERE/recvtty.c" || exit 1

RUNTIMES="launch"
[ -n "$RUNC" ] && RUNTIMES="launch runc" || echo "runc not found: running the launcher only"

# ---- helpers used inside cases (run in a subshell with T, RT, RTNAME, ROOT set) ----
rt() { "$RT" --root "$ROOT" --log "$T/rt.log" --log-format json "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
gap() { echo "GAP: $*"; exit 3; }  # a defence this runtime is known to lack
skip() { echo "SKIP: $*"; exit 4; } # does not apply here: reported, not counted
expect_eq() { [ "$1" = "$2" ] || fail "${3:-value}: got '$1', want '$2'"; }
expect_has() { case "$1" in *"$2"*) ;; *) fail "${3:-output}: '$1' does not contain '$2'";; esac; }
expect_not() { case "$1" in *"$2"*) fail "${3:-output}: '$1' contains '$2'";; esac; }
# bundle NAME [python patch on dict c]: fresh rootfs copy + config; prints its dir
bundle() {
	local b=$T/$1
	mkdir -p "$b"
	cp -a "$WORK/base-rootfs" "$b/rootfs"
	python3 "$HERE/mkconfig.py" "$b/config.json" "$CGPREFIX/$RTNAME-$CASE-$1" "${2:-}" || fail "mkconfig"
	echo "$b"
}
cid() { echo "lt$$-$RTNAME-$CASE-$1"; }
cgdir() { echo "/sys/fs/cgroup/$1$CGPREFIX/$RTNAME-$CASE-$2"; }
run_ctr() { local b=$1 id; id=$(cid "$(basename "$b")"); echo "$id" >>"$T/ids"; (cd "$b" && rt run --bundle "$b" "$id"); }
create_ctr() { local b=$1 id; id=$(cid "$(basename "$b")"); echo "$id" >>"$T/ids"; rt create --bundle "$b" --pid-file "$b/pid" "$id" </dev/null >"$b/out" 2>&1; }
wait_stopped() { local i; for i in $(seq 1 200); do rt state "$1" 2>/dev/null | grep -q '"stopped"' && return 0; sleep 0.05; done; return 1; }
case_cleanup() {
	if [ -f "$T/helper-pids" ]; then
		local p; while read -r p; do kill "$p" 2>/dev/null; done <"$T/helper-pids"
	fi
	[ -f "$T/ids" ] || return 0
	local id; while read -r id; do rt delete --force "$id" >/dev/null 2>&1; done <"$T/ids"
}

# ---- cases ----
t_pid1() { b=$(bundle b 'c["process"]["args"]=["sh","-c","echo $$"]'); expect_eq "$(run_ctr "$b")" 1 "pid"; }

t_hostname() { b=$(bundle b 'c["hostname"]="box-42"; c["domainname"]="example.test"; c["process"]["args"]=["sh","-c","hostname; cat /proc/sys/kernel/domainname"]')
	out=$(run_ctr "$b" | tr '\n' ' ')
	[ "$RTNAME" = runc ] && [ "$out" = "box-42 (none) " ] && gap "runc ignores domainname"
	expect_eq "$out" "box-42 example.test " "hostname"; }

t_state_lifecycle() {
	b=$(bundle b 'c["process"]["args"]=["sh","-c","read x </dev/shm/never 2>/dev/null; sleep 1"]')
	id=$(cid b); create_ctr "$b" || fail "create: $(cat "$b/out")"
	s=$(rt state "$id"); expect_has "$s" '"created"' state; pid=$(cat "$b/pid"); expect_has "$s" "\"pid\": $pid" pid
	[ -d "/proc/$pid" ] || fail "init pid $pid not alive"
	rt start "$id" || fail start
	expect_has "$(rt state "$id")" '"running"' state
	wait_stopped "$id" || fail "never stopped"
	rt delete "$id" || fail delete
	rt state "$id" >/dev/null 2>&1 && fail "state still present"
	[ ! -e "$ROOT/$id" ] || fail "state dir left"
}

t_joined_ns() {
	pod=$(bundle pod 'c["process"]["args"]=["sleep","30"]')
	create_ctr "$pod" || fail "create pod: $(cat "$pod/out")"; rt start "$(cid pod)"
	ppid=$(cat "$pod/pid")
	b=$(bundle app "c['linux']['namespaces']=[{'type':'mount'},{'type':'network','path':'/proc/$ppid/ns/net'},{'type':'ipc','path':'/proc/$ppid/ns/ipc'},{'type':'uts','path':'/proc/$ppid/ns/uts'},{'type':'pid','path':'/proc/$ppid/ns/pid'}]; c['hostname']=None; c['process']['args']=['sh','-c','for n in net ipc uts pid; do readlink /proc/self/ns/\$n; done; hostname']")
	got=$(run_ctr "$b" | tr '\n' ' ')
	want=""; for n in net ipc uts pid; do want="$want$(readlink /proc/$ppid/ns/$n) "; done
	expect_eq "$got" "${want}ctr " "namespace inodes"
	[ "$(readlink /proc/$ppid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] || fail "pod has host mnt ns"
}

t_cgroup_limits() {
	b=$(bundle b 'c["linux"]["resources"].update({"memory":{"limit":67108864,"reservation":33554432},"pids":{"limit":42},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"}}); c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"
	expect_eq "$(cat "$(cgdir memory b)/memory.limit_in_bytes")" 67108864 memory.limit
	expect_eq "$(cat "$(cgdir memory b)/memory.soft_limit_in_bytes")" 33554432 memory.reservation
	expect_eq "$(cat "$(cgdir pids b)/pids.max")" 42 pids.max
	expect_eq "$(cat "$(cgdir cpu b)/cpu.shares")" 512 cpu.shares
	expect_eq "$(cat "$(cgdir cpu b)/cpu.cfs_quota_us")" 50000 cpu.quota
	expect_eq "$(cat "$(cgdir cpuset b)/cpuset.cpus")" 0 cpuset.cpus
	pid=$(cat "$b/pid")
	grep -q "$(cid b)\$\|$CGPREFIX/$RTNAME-$CASE-b" /proc/$pid/cgroup || fail "init not in its cgroup before start: $(cat /proc/$pid/cgroup)"
	for h in memory pids cpu cpuset devices freezer blkio; do
		grep -qx "$pid" "$(cgdir $h b)/cgroup.procs" || fail "init not in $h cgroup"
	done
}

# Without a cgroupfs mount the init still joins every hierarchy, through the
# host's /sys/fs/cgroup: decoy tasks files at the same paths inside the image
# must stay untouched (a join after pivot_root would write to them).
t_cgroup_join_no_cgroupfs() {
	b=$(bundle b 'c["mounts"]=[m for m in c["mounts"] if m["destination"] not in ("/sys","/sys/fs/cgroup")]; c["process"]["args"]=["sleep","30"]')
	for h in memory pids cpu cpuset devices freezer blkio; do
		d="$b/rootfs$(cgdir $h b)"; mkdir -p "$d"; : >"$d/tasks"; : >"$d/cgroup.procs"
	done
	create_ctr "$b" || fail "create: $(cat "$b/out")"
	pid=$(cat "$b/pid")
	for h in memory pids cpu cpuset devices freezer blkio; do
		grep -qx "$pid" "$(cgdir $h b)/cgroup.procs" || fail "init not in $h cgroup"
		[ ! -s "$b/rootfs$(cgdir $h b)/tasks" ] && [ ! -s "$b/rootfs$(cgdir $h b)/cgroup.procs" ] ||
			fail "wrote to the image's $h decoy"
	done
}

t_update_resources() {
	b=$(bundle b 'c["linux"]["resources"].update({"memory":{"limit":67108864,"swap":67108864},"pids":{"limit":42},"cpu":{"shares":512,"quota":50000,"period":100000}}); c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b)
	# raise memory above the current memsw (memsw must go first), cpu quota, pids; from stdin
	echo '{"memory":{"limit":134217728,"swap":134217728},"cpu":{"quota":150000,"period":100000,"shares":256},"pids":{"limit":64}}' |
		rt update --resources - "$id" || fail "update (raise): $(tail -1 "$T/rt.log")"
	expect_eq "$(cat "$(cgdir memory b)/memory.limit_in_bytes")" 134217728 memory.limit
	expect_eq "$(cat "$(cgdir memory b)/memory.memsw.limit_in_bytes" 2>/dev/null || echo 134217728)" 134217728 memory.memsw
	expect_eq "$(cat "$(cgdir cpu b)/cpu.cfs_quota_us")" 150000 cpu.quota
	expect_eq "$(cat "$(cgdir cpu b)/cpu.shares")" 256 cpu.shares
	expect_eq "$(cat "$(cgdir pids b)/pids.max")" 64 pids.max
	# lower memory again, from a file, on the running container
	rt start "$id" || fail start
	echo '{"memory":{"limit":33554432,"swap":33554432}}' >"$T/res.json"
	rt update --resources "$T/res.json" "$id" || fail "update (lower): $(tail -1 "$T/rt.log")"
	expect_eq "$(cat "$(cgdir memory b)/memory.limit_in_bytes")" 33554432 memory.limit
	expect_eq "$(cat "$(cgdir cpu b)/cpu.cfs_quota_us")" 150000 "cpu.quota kept"
	echo '{"memory":' | rt update --resources - "$id" 2>/dev/null && fail "bad JSON accepted"
	rt update --resources "$T/res.json" "nosuch$$" 2>/dev/null && fail "unknown container accepted"
	rt kill "$id" KILL; wait_stopped "$id" || fail "never stopped"
	rt update --resources "$T/res.json" "$id" 2>/dev/null && [ "$RTNAME" = launch ] && fail "stopped container updated"
	return 0
}

t_oom_kill() {
	b=$(bundle b 'c["linux"]["resources"]["memory"]={"limit":33554432,"swap":33554432}; c["process"]["args"]=["sh","-c","exec dd if=/dev/zero of=/dev/null bs=128M count=1"]')
	out=$(run_ctr "$b" 2>&1); rc=$?
	expect_eq "$rc" 137 "exit status (SIGKILL by the OOM killer)"
}

t_pids_limit() {
	b=$(bundle b 'c["linux"]["resources"]["pids"]={"limit":8}; c["process"]["args"]=["sh","-c","sh -c \"for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 5 & done\" 2>/dev/null; exec sleep 5"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; rt start "$(cid b)" || fail start
	sleep 0.5
	n=$(wc -l <"$(cgdir pids b)/cgroup.procs")
	[ "$n" -le 8 ] && [ "$n" -ge 6 ] || fail "expected the fork bomb to stop at 8 processes, got $n"
	ev=$(awk '/max/{print $2}' "$(cgdir pids b)/pids.events")
	[ "${ev:-0}" -gt 0 ] || fail "pids.events shows no refused fork"
}

t_readonly_rootfs() {
	b=$(bundle b 'c["root"]["readonly"]=True; c["process"]["args"]=["sh","-c","touch /x 2>&1; touch /dev/shm/y && echo shm-ok"]')
	out=$(run_ctr "$b" 2>&1)
	expect_has "$out" "Read-only file system" "write to /"; expect_has "$out" shm-ok "tmpfs mount stays writable"
	[ ! -e "$b/rootfs/x" ] || fail "file created in read-only rootfs"
}

t_masked_paths() {
	b=$(bundle b 'c["linux"]["maskedPaths"]+=["/etc/secret","/etc/secretdir"]; c["process"]["args"]=["sh","-c","cat /proc/kcore | wc -c; cat /etc/secret | wc -c; ls /etc/secretdir | wc -l; ls /proc/acpi 2>/dev/null | wc -l; echo x > /proc/sys/kernel/hostname 2>&1 || echo ro"]')
	echo SECRET > "$b/rootfs/etc/secret"; mkdir "$b/rootfs/etc/secretdir"; echo S > "$b/rootfs/etc/secretdir/f"
	expect_eq "$(run_ctr "$b" 2>/dev/null | tr '\n' ' ')" "0 0 0 0 ro " "masked and read-only paths"
}

t_capabilities() {
	b=$(bundle b 'c["process"]["capabilities"]={"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN"],"permitted":["CAP_CHOWN","CAP_KILL"],"inheritable":[],"ambient":[]}; c["process"]["args"]=["sh","-c","grep ^Cap /proc/self/status"]')
	out=$(run_ctr "$b" | tr '\t\n' '  ')
	expect_eq "$out" "CapInh: 0000000000000000 CapPrm: 0000000000000021 CapEff: 0000000000000021 CapBnd: 0000000000000021 CapAmb: 0000000000000000 " "caps (root: execve makes effective = permitted)"
}

t_all_capabilities() {
	bnd=$(awk '/^CapBnd/{print $2}' /proc/self/status)
	all=$(python3 -c "
names='CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE'.split()
b=int('$bnd',16); print([ 'CAP_'+n for i,n in enumerate(names) if b>>i&1])")
	b=$(bundle b "a=$all; c['process']['capabilities']={'bounding':a,'effective':a,'permitted':a}; c['process']['args']=['sh','-c','grep -E \"^Cap(Bnd|Eff)\" /proc/self/status']")
	expect_eq "$(run_ctr "$b" | awk '{print $2}' | tr '\n' ' ')" "$bnd $bnd " "all caps = host bounding set"
}

t_seccomp() {
	b=$(bundle b 'c["linux"]["seccomp"]={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["chmod"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":511,"op":"SCMP_CMP_EQ"}]},{"names":["fchmodat"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":511,"op":"SCMP_CMP_EQ"}]}]}; c["process"]["args"]=["sh","-c","mkdir /tmp/d 2>&1; touch /tmp/f; chmod 755 /tmp/f && echo chmod755-ok; chmod 777 /tmp/f 2>&1"]')
	out=$(run_ctr "$b" 2>&1)
	expect_has "$out" "mkdir: can't create directory '/tmp/d': Operation not permitted" mkdir
	expect_has "$out" "chmod755-ok" "allowed argument"; expect_has "$out" "/tmp/f: Operation not permitted" "denied argument"
}

t_user_groups() {
	b=$(bundle b 'c["process"]["user"]={"uid":1000,"gid":1001,"additionalGids":[10,20],"umask":23}; c["process"]["args"]=["sh","-c","grep -E \"^(Uid|Gid|Groups)\" /proc/self/status; umask"]')
	out=$(run_ctr "$b" | tr '\t\n' '  ' | tr -s ' ')
	expect_eq "$out" "Uid: 1000 1000 1000 1000 Gid: 1001 1001 1001 1001 Groups: 10 20 0027 " "ids"
}

t_rlimits_nnp() {
	b=$(bundle b 'c["process"]["rlimits"]=[{"type":"RLIMIT_NOFILE","hard":512,"soft":256}]; c["process"]["args"]=["sh","-c","ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status"]')
	expect_eq "$(run_ctr "$b" | tr '\t\n' '  ')" "256 512 NoNewPrivs: 1 " rlimits
}

t_exec_joins() {
	b=$(bundle b 'c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b); rt start "$id" || fail start
	pid=$(cat "$b/pid")
	got=$(rt exec "$id" sh -c 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; grep -c . /proc/self/cgroup >/dev/null; cat /proc/self/cgroup | grep pids')
	want=""; for n in pid net ipc uts mnt cgroup; do want="$want$(readlink /proc/$pid/ns/$n) "; done
	expect_eq "$(echo "$got" | head -6 | tr '\n' ' ')" "$want" "exec namespaces"
	hostcg=$(grep pids /proc/$pid/cgroup)
	expect_eq "$(echo "$got" | tail -1 | cut -d: -f2)" pids "exec in pids cgroup"
	# exec'd process must be a member of the container's cgroup on the host side
	rt exec --detach --pid-file "$T/epid" "$id" sleep 20 || fail "exec --detach"
	grep -qx "$(cat "$T/epid")" "$(cgdir pids b)/cgroup.procs" || fail "exec'd process not in container cgroup"
	out=$(rt exec --process /dev/null "$id" 2>&1) && fail "exec with a bad process.json succeeded"
	printf '{"args":["sh","-c","id -u; echo $FOO"],"env":["FOO=bar","PATH=/bin"],"cwd":"/tmp","user":{"uid":7,"gid":7}}' >"$T/p.json"
	expect_eq "$(rt exec --process "$T/p.json" "$id" | tr '\n' ' ')" "7 bar " "exec --process"
	: "$hostcg"
}

# delete takes the cgroup path from state.json; the state of an older
# launcher lacks it, and delete then reads it from the saved config.json
t_delete_older_state() {
	[ "$RTNAME" = launch ] || skip "the launcher's own state format"
	b=$(bundle b 'c["linux"]["cgroupsPath"]="'"$CGPREFIX/older-$$"'"; c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b)
	python3 -c 'import json,sys; p=sys.argv[1]; s=json.load(open(p)); assert s.pop("cgroupsPath")=="'"$CGPREFIX/older-$$"'"; json.dump(s,open(p,"w"))' "$ROOT/$id/state.json" || fail "no cgroupsPath in state"
	rt delete --force "$id" || fail delete
	for h in memory pids cpu devices; do [ ! -d "/sys/fs/cgroup/$h$CGPREFIX/older-$$" ] || fail "cgroup left in $h"; done
	[ ! -e "$ROOT/$id" ] || fail "state left"
}

# A namespace path that cannot be joined fails create with the path named and
# leaves nothing: by the init itself (net) or by the helper before the clone (pid).
t_bad_namespace_path() {
	for ns in network pid; do
		b=$(bundle "$ns" '[n.update(path="/nonexistent-ns-'$ns'") for n in c["linux"]["namespaces"] if n["type"]=="'$ns'"]')
		create_ctr "$b" && fail "create with a missing $ns namespace succeeded"
		expect_has "$(cat "$b/out")" "/nonexistent-ns-$ns" "$ns error"
		[ ! -e "$ROOT/$(cid "$ns")" ] || fail "state left after the failed $ns create"
		for h in memory pids devices; do [ ! -d "$(cgdir $h "$ns")" ] || fail "cgroup left in $h ($ns)"; done
	done
}

t_kill_delete_cleanup() {
	b=$(bundle b 'c["process"]["args"]=["sh","-c","sleep 60 & sleep 60 & sleep 60"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b); rt start "$id" || fail start
	sleep 0.3
	n=$(wc -l <"$(cgdir pids b)/cgroup.procs"); [ "$n" -ge 3 ] || fail "expected 3+ processes, got $n"
	rt delete "$id" 2>/dev/null && fail "delete of a running container without --force succeeded"
	rt kill --all "$id" KILL || fail "kill --all"
	wait_stopped "$id" || fail "not stopped after kill --all"
	rt delete "$id" || fail delete
	for h in memory pids cpu cpuset devices freezer blkio systemd; do
		[ ! -d "$(cgdir $h b)" ] || fail "cgroup left in $h"
	done
	[ ! -e "$ROOT/$id" ] || fail "state left"
	# delete --force on a running container
	b2=$(bundle c 'c["process"]["args"]=["sleep","60"]'); create_ctr "$b2" || fail create; rt start "$(cid c)"
	rt delete --force "$(cid c)" || fail "delete --force"
	[ ! -d "$(cgdir pids c)" ] && [ ! -e "$ROOT/$(cid c)" ] || fail "force delete left state or cgroup"
}

t_console_socket() {
	b=$(bundle b 'c["process"]["terminal"]=True; c["process"]["args"]=["sh","-c","tty; echo hello-tty"]')
	"$WORK/recvtty" "$T/tty.sock" >"$T/tty.out" 2>&1 & rp=$!; echo $rp >>"$T/helper-pids"
	for i in $(seq 1 50); do [ -S "$T/tty.sock" ] && break; sleep 0.02; done
	id=$(cid b); echo "$id" >>"$T/ids"
	rt create --bundle "$b" --console-socket "$T/tty.sock" "$id" || fail "create with console"
	rt start "$id"; wait_stopped "$id"; sleep 0.2; kill $rp 2>/dev/null; wait $rp 2>/dev/null
	out=$(tr -d '\r' <"$T/tty.out")
	expect_has "$out" received-fd "pty master received"; expect_has "$out" /dev/pts/0 "controlling tty"; expect_has "$out" hello-tty output
}

LOOPTEST='( exec 3</dev/loop0 ) 2>/dev/null && echo loop-open || echo loop-denied'
t_devices() {
	# /dev/loop0 opens without capabilities, so only the devices cgroup can refuse it
	for allow in no yes; do
		extra=""; [ $allow = yes ] && extra=',{"allow":True,"type":"b","major":7,"minor":0,"access":"rwm"}'
		b=$(bundle "b$allow" 'c["linux"]["devices"]=[{"path":"/dev/loop0","type":"b","major":7,"minor":0,"fileMode":384},{"path":"/dev/custom/mynull","type":"c","major":1,"minor":3,"fileMode":420,"uid":5,"gid":6}]; c["linux"]["resources"]["devices"]=[{"allow":False,"access":"rwm"},{"allow":True,"type":"c","major":1,"minor":3,"access":"rwm"}'"$extra"']; c["process"]["args"]=["sh","-c","'"$LOOPTEST"'; echo x > /dev/null && echo null-ok; stat -c \"%a %u %g %t %T\" /dev/custom/mynull; ls -l /dev/fd /dev/ptmx | grep -c -- \"->\"; for d in zero full random urandom tty; do [ -c /dev/$d ] || echo missing-$d; done"]')
		want="loop-denied"; [ $allow = yes ] && want="loop-open"
		expect_eq "$(run_ctr "$b" 2>&1 | tr '\n' ' ')" "$want null-ok 644 5 6 1 3 2 " "devices (loop0 allowed: $allow)"
	done
}

t_devices_bpf() {
	# device rules are also a BPF program on the cgroup2 node: re-open the v1
	# devices controller from the host and the BPF program alone must deny
	[ -d /sys/fs/cgroup/unified ] || [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "no cgroup2 hierarchy"
	b=$(bundle b 'c["linux"]["devices"]=[{"path":"/dev/loop0","type":"b","major":7,"minor":0,"fileMode":384}]; c["linux"]["resources"]["devices"]=[{"allow":False,"access":"rwm"},{"allow":True,"type":"c","major":1,"minor":3,"access":"rw"}]; c["process"]["args"]=["sh","-c","'"$LOOPTEST"'; echo x >/dev/null && echo null-ok; cat /dev/zero | head -c1 | wc -c"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"
	if [ -d "$(cgdir devices b)" ]; then echo a >"$(cgdir devices b)/devices.allow" || fail "cannot re-open v1 devices"; fi
	rt start "$(cid b)" || fail start
	wait_stopped "$(cid b)" || fail "did not stop"
	out=$(tr '\n' ' ' <"$b/out")
	case "$out" in "loop-open "*) [ "$RTNAME" = runc ] && gap "runc 1.1 sets no BPF device program on a hybrid host";; esac
	expect_eq "$out" "loop-denied null-ok 1 " "BPF device rules"
}

t_kill_signal_exit_code() {
	# the init traps TERM and exits 42: kill must deliver it, run/wait see the status
	b=$(bundle b 'c["process"]["args"]=["sh","-c","trap \"exit 42\" TERM; echo ready; while :; do sleep 0.1; done"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b); rt start "$id" || fail start
	for i in $(seq 1 50); do grep -q ready "$b/out" && break; sleep 0.05; done
	rt kill "$id" TERM || fail "kill TERM"
	wait_stopped "$id" || fail "TERM did not stop the init"
	rt kill "$id" KILL 2>/dev/null && fail "kill of a stopped container succeeded"
	b2=$(bundle c 'c["process"]["args"]=["sh","-c","exit 7"]')
	run_ctr "$b2"; expect_eq "$?" 7 "run exit status"
}

t_pause_binary() {
	# criruntime-pause as PID 1: an orphan re-parented to it is reaped; TERM and INT end it with status 0
	make -s -C "$TOP/src/pause" OUT="$T/pause-out" >/dev/null || fail "build criruntime-pause"
	for sig in TERM INT; do
		b=$(bundle "p$sig" 'c["process"]["args"]=["/pause"]')
		cp "$T/pause-out/criruntime-pause" "$b/rootfs/pause"
		id=$(cid "p$sig")
		( run_ctr "$b" >"$T/run-$sig.out" 2>&1; echo $? >"$T/status-$sig" ) &
		for i in $(seq 1 100); do rt state "$id" 2>/dev/null | grep -q '"running"' && break; sleep 0.05; done
		rt state "$id" | grep -q '"running"' || fail "pause did not start: $(cat "$T/run-$sig.out")"
		# the subshell exits at once and leaves its sleep to PID 1
		rt exec "$id" sh -c '(sleep 0.2 &)' || fail "exec"
		sleep 0.7
		zombies=$(rt exec "$id" sh -c 'ps -o stat,pid,comm >/tmp/ps; grep -c "^Z" /tmp/ps')
		expect_eq "$zombies" 0 "zombies left under the pause"
		rt kill "$id" "$sig" || fail "kill $sig"
		for i in $(seq 1 100); do [ -s "$T/status-$sig" ] && break; sleep 0.05; done
		expect_eq "$(cat "$T/status-$sig" 2>/dev/null)" 0 "exit status after SIG$sig"
	done
}

t_exec_tty() {
	b=$(bundle b 'c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; id=$(cid b); rt start "$id" || fail start
	"$WORK/recvtty" "$T/tty.sock" >"$T/tty.out" 2>&1 & rp=$!; echo $rp >>"$T/helper-pids"
	for i in $(seq 1 50); do [ -S "$T/tty.sock" ] && break; sleep 0.02; done
	rt exec --detach --tty --console-socket "$T/tty.sock" "$id" sh -c 'tty; echo exec-tty-ok' || fail "exec --tty"
	sleep 0.3; kill $rp 2>/dev/null; wait $rp 2>/dev/null
	out=$(tr -d '\r' <"$T/tty.out")
	expect_has "$out" /dev/pts/ "exec controlling tty"; expect_has "$out" exec-tty-ok "exec output"
}

t_userns() {
	b=$(bundle b 'c["linux"]["namespaces"].append({"type":"user"}); c["linux"]["uidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]; c["linux"]["gidMappings"]=[{"containerID":0,"hostID":200000,"size":65536}]; c["mounts"]=[m for m in c["mounts"] if m["destination"] not in ("/sys","/sys/fs/cgroup")]; c["process"]["args"]=["sh","-c","cat /proc/self/uid_map; id -u; echo x >/dev/null && echo null-ok"]')
	chown -R 200000:200000 "$b/rootfs"
	out=$(run_ctr "$b" 2>&1 | tr -s ' \n' '  ')
	expect_eq "$out" " 0 200000 65536 0 null-ok " "user namespace"
}

t_sysctl_oom() {
	b=$(bundle b 'c["linux"]["sysctl"]={"net.ipv4.ip_forward":"1","kernel.shm_rmid_forced":"1"}; c["process"]["oomScoreAdj"]=500; c["process"]["args"]=["sh","-c","cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/self/oom_score_adj"]')
	expect_eq "$(run_ctr "$b" | tr '\n' ' ')" "1 1 500 " "sysctl and oom_score_adj"
}

t_oom_clamp() {
	floor=$(cat /proc/self/oom_score_adj)
	b=$(bundle b 'c["process"]["oomScoreAdj"]=-999; c["process"]["args"]=["cat","/proc/self/oom_score_adj"]')
	out=$(run_ctr "$b" 2>&1) || { [ "$RTNAME" = runc ] && gap "runc fails instead of clamping: $out"; fail "run: $out"; }
	if grep -q CapBnd /proc/self/status && [ $(( 0x$(awk '/^CapBnd/{print $2}' /proc/self/status) >> 24 & 1 )) = 1 ]; then
		expect_eq "$out" -999 "oom_score_adj with CAP_SYS_RESOURCE"
	else
		expect_eq "$out" "$floor" "clamped oom_score_adj"
		grep -q '"level":"warning".*clamped' "$T/rt.log" || fail "clamp not logged: $(cat "$T/rt.log")"
	fi
}

t_error_log_json() {
	id=$(cid none)
	rt create --bundle "$T/does-not-exist" "$id" >/dev/null 2>&1 && fail "create of a missing bundle succeeded"
	grep -q '^{"level":"error","msg":".*","time":"' "$T/rt.log" || fail "no JSON error line: $(cat "$T/rt.log")"
}

t_features() {
	out=$(rt features) || { [ "$RTNAME" = runc ] && gap "runc features unsupported"; fail features; }
	echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "ociVersionMax" in d and "linux" in d' || fail "features JSON"
}

# --- CVE regressions ---
# Tries to get a writable handle on the executable of process $1 the way a
# (privileged) container could: hold it through /proc/PID/exe, and clone its
# mount (open_tree) and clear the read-only flag (mount_setattr), which
# defeats a read-only bind mount but not a lower-only overlayfs; then kill the
# process (a running executable refuses writes with ETXTBSY) and reopen both
# for writing and write a byte. Prints what succeeded: nothing when every attempt failed.
exe_write_attempts() {
	python3 - "$1" <<'PY'
import ctypes, os, sys, time
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
handles = {"direct": os.open(f"/proc/{pid}/exe", os.O_PATH)}
fd = libc.syscall(428, -100, f"/proc/{pid}/exe".encode(), 1 | 0o2000000)  # open_tree(OPEN_TREE_CLONE|CLOEXEC)
if fd >= 0:
    attr = (ctypes.c_uint64 * 4)(0, 1, 0, 0)  # attr_clr = MOUNT_ATTR_RDONLY
    libc.syscall(442, fd, b"", 0x1000, attr, 32)  # mount_setattr(AT_EMPTY_PATH)
    handles["cloned-mount"] = fd
os.kill(pid, 9)
for _ in range(500):
    try:
        if open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z":
            break
    except OSError:
        break
    time.sleep(0.01)
for name, h in handles.items():
    try:
        w = os.open(f"/proc/self/fd/{h}", os.O_WRONLY | os.O_APPEND)
        os.write(w, b"x"); print(name)  # a sealed memfd opens for writing but refuses the write
    except OSError:
        pass
PY
}

# $1: bundle name; $2: for our launcher, what /proc/PID/exe must be
# ("overlayfs": the default; "memfd": the fallback, forced by CRIRUNTIME_LAUNCH_SEAL)
sealed_exe_check() {
	b=$(bundle "$1" 'c["process"]["args"]=["true"]')
	create_ctr "$b" || fail "create: $(cat "$b/out")"; pid=$(cat "$b/pid")
	if [ "$(stat -L -c %d:%i /proc/$pid/exe)" = "$(stat -L -c %d:%i "$RT")" ]; then
		[ "$RTNAME" = runc ] && gap "runc's init runs the host binary, not a sealed copy"
		fail "init runs the host binary itself"
	fi
	case "$RTNAME:$2" in
	launch:overlayfs) expect_eq "$(stat -f -L -c %T /proc/$pid/exe)" overlayfs "exe filesystem" ;;
	launch:memfd) expect_eq "$(readlink /proc/$pid/exe)" "/memfd:criruntime-launch (deleted)" "exe" ;;
	esac
	sum=$(sha256sum "$RT" | cut -d' ' -f1)
	( echo x >>/proc/$pid/exe ) 2>/dev/null && fail "wrote to the init's executable"
	expect_eq "$(exe_write_attempts "$pid")" "" "writable handles on the init's executable"
	expect_eq "$(sha256sum "$RT" | cut -d' ' -f1)" "$sum" "runtime binary unchanged"
}

t_cve_2019_5736_sealed_exe() {
	sealed_exe_check b overlayfs
	[ "$RTNAME" = launch ] && CRIRUNTIME_LAUNCH_SEAL=memfd sealed_exe_check m memfd
	true
}

t_cve_2024_21626_fds() {
	echo "HOST-MARKER-$$" >"$T/marker"
	# the runtime is started holding a stray host directory fd and file fd
	b=$(bundle b 'c["process"]["args"]=["sh","-c","ls /proc/self/fd | tr \"\\n\" \" \""]')
	exec 7<"$T" 8<"$T/marker"
	got=$(run_ctr "$b")
	exec 7<&- 8<&-
	expect_eq "$got" "0 1 2 3 " "fds visible in the container"
	for n in 3 4 5 6 7 8 9; do
		b=$(bundle "cwd$n" "c['process']['cwd']='/proc/self/fd/$n'; c['process']['args']=['sh','-c','cat ../../../../../../../../$T/marker 2>/dev/null; true']")
		exec 7<"$T" 8<"$T/marker"
		out=$(run_ctr "$b" 2>/dev/null)
		exec 7<&- 8<&-
		expect_not "$out" "HOST-MARKER" "cwd /proc/self/fd/$n escaped"
	done
	# exec into a created container: no runtime fd reachable through /proc/1/fd
	b=$(bundle e 'c["process"]["args"]=["sleep","30"]'); create_ctr "$b" || fail create
	out=$(rt exec "$(cid e)" sh -c 'for f in /proc/1/fd/*; do readlink $f; done; ls /proc/self/fd | tr "\n" " "' 2>/dev/null)
	case "$out" in *"$ROOT"*) [ "$RTNAME" = runc ] && gap "runc's created init exposes host fds via /proc/1/fd"; fail "runtime state dir reachable from the container: $out";; esac
	expect_has "$out" "0 1 2 3 " "exec fds"
}

t_cve_2021_30465_mount_symlink() {
	host=$T/hostdir; mkdir -p "$host"
	b=$(bundle b "c['mounts'].append({'destination':'/escape/sub','type':'tmpfs','source':'tmpfs','options':['size=1m']}); c['mounts'].append({'destination':'/escape2/file','type':'bind','source':'/etc/hostname','options':['bind','ro']}); c['process']['args']=['sh','-c','grep -c \" $host/sub tmpfs\" /proc/self/mounts']")
	ln -s "$host" "$b/rootfs/escape"             # absolute symlink out of the rootfs
	ln -s "../../../../../../$host" "$b/rootfs/escape2"  # relative climb out
	out=$(run_ctr "$b" 2>&1)
	[ ! -e "$host/sub" ] && [ ! -e "$host/file" ] || fail "mount target created on the host: $(ls "$host")"
	grep -q "$host" /proc/self/mountinfo && fail "mount landed on the host"
	expect_eq "$out" 1 "tmpfs mounted at the in-root resolution of the symlink"
}

t_cve_procfs_verified() {
	# /proc/sys is shadowed by a tmpfs the config mounts: the sysctl must still reach the kernel
	b=$(bundle b 'c["mounts"].append({"destination":"/proc/sys","type":"tmpfs","source":"tmpfs","options":["size=1m"]}); c["linux"]["readonlyPaths"]=[]; c["linux"]["sysctl"]={"net.ipv4.ip_forward":"1"}; c["process"]["args"]=["sleep","30"]')
	create_ctr "$b" || { [ "$RTNAME" = runc ] && gap "runc writes sysctls through the container's /proc: $(cat "$b/out")"; fail "create: $(cat "$b/out")"; }
	pid=$(cat "$b/pid")
	expect_eq "$(nsenter --net=/proc/$pid/ns/net cat /proc/sys/net/ipv4/ip_forward)" 1 "sysctl in the container's netns"
}

t_cve_masked_devnull() {
	# the image ships a fake /dev/null and the config does not mount /dev
	b=$(bundle b 'c["mounts"]=[m for m in c["mounts"] if not m["destination"].startswith("/dev")]; c["linux"]["maskedPaths"]=["/etc/secret"]; c["process"]["args"]=["sh","-c","cat /etc/secret"]')
	rm -f "$b/rootfs/dev/null"; echo NOTNULL >"$b/rootfs/dev/null"; echo SECRET >"$b/rootfs/etc/secret"
	out=$(run_ctr "$b" 2>&1); rc=$?
	case "$out" in *NOTNULL*) [ "$RTNAME" = runc ] && gap "runc masks with the image's /dev/null"; fail "masked with a fake /dev/null";; esac
	expect_not "$out" SECRET "masked path"
	[ $rc = 0 ] || fail "run failed: $out"
}

t_cve_2022_0811_sysctl() {
	before=$(cat /proc/sys/kernel/core_pattern)
	for kv in 'kernel.shm_rmid_forced=1+kernel.core_pattern=|/bin/sh' 'kernel.core_pattern=|/tmp/x' 'kernel.shm_rmid_forced=1
kernel.core_pattern=|/bin/x' 'net/../kernel/core_pattern=x'; do
		k=${kv%%=*}; v=${kv#*=}
		b=$(bundle "s$RANDOM" "c['linux']['sysctl']={$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$k"): $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$v")}")
		accepted=no; run_ctr "$b" >/dev/null 2>&1 && accepted=yes
		expect_eq "$(cat /proc/sys/kernel/core_pattern)" "$before" "host core_pattern"
		if [ $accepted = yes ]; then [ "$RTNAME" = runc ] && gap "runc accepts sysctl value '$v' unvalidated"; fail "sysctl '$k=$v' was accepted"; fi
	done
}

CASES=$(declare -F | awk '{print $3}' | grep '^t_' | sed 's/^t_//')
for CASE in $CASES; do
	[ -n "$ONLY" ] && ! [[ $CASE =~ $ONLY ]] && continue
	for RTNAME in $RUNTIMES; do
		[ "$RTNAME" = launch ] && RT=$LAUNCH || RT=$RUNC
		T=$WORK/$CASE-$RTNAME; ROOT=$T/state; mkdir -p "$T" "$ROOT"
		start=$(date +%s%N)
		( trap case_cleanup EXIT; "t_$CASE" ) >"$T/case.log" 2>&1
		rc=$?
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		if [ $rc = 0 ]; then
			PASS=$((PASS + 1)); printf 'ok    %-32s %-7s %5d ms\n' "$CASE" "$RTNAME" "$ms"
		elif [ $rc = 4 ]; then
			SKIPS=$((SKIPS + 1)); printf 'skip  %-32s %-7s %s\n' "$CASE" "$RTNAME" "$(grep -m1 '^SKIP' "$T/case.log")"
		elif [ $rc = 3 ] && [ "$RTNAME" = runc ]; then
			GAPS=$((GAPS + 1)); printf 'gap   %-32s %-7s %s\n' "$CASE" "$RTNAME" "$(grep -m1 '^GAP' "$T/case.log")"
		else
			FAIL=$((FAIL + 1)); printf 'FAIL  %-32s %-7s\n' "$CASE" "$RTNAME"; sed 's/^/      /' "$T/case.log" | tail -8
			[ -s "$T/rt.log" ] && tail -3 "$T/rt.log" | sed 's/^/      log: /'
		fi
	done
done
[ $GAPS -gt 0 ] && echo "($GAPS known runc gaps: defences runc $("$RUNC" --version | head -1 | awk '{print $3}') lacks; not counted)"
[ $SKIPS -gt 0 ] && echo "($SKIPS skipped: not applicable to that runtime or host)"
echo "launcher: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
