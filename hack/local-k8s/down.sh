#!/usr/bin/env bash
# down.sh tears the local cluster down and undoes every change up.sh made
# to the host, from what up.sh recorded before it made any: it works after
# a failed or interrupted up, and does nothing when there is nothing to
# undo. It stops only processes the cluster started: those whose PIDs are
# in the state folder, the containers in the kubelet's cgroups, and
# containerd shims serving this cluster's socket.
#
# The components' logs are kept in bin/local-k8s/last-logs for a look after
# a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=hack/local-k8s/env.sh
source hack/local-k8s/env.sh

if [[ ! -e $S/up ]]; then
	echo "local-k8s: no cluster to tear down (no $S/up)" >&2
	exit 0
fi
start=$SECONDS
ctr=(ctr --address "$S/containerd/containerd.sock" -n k8s.io)

# ours PID: true when PID is a live process of this cluster (its command
# line names the state folder or a binary up.sh started), not a reused PID.
ours() {
	local cmd
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *"$S"* || $cmd == *bin/local-k8s/* || $cmd == *bin/envtest/* || $cmd == containerd* ]]
}
# stop NAME...: SIGTERM the components by their PIDs, together, then
# SIGKILL those still running after 10 s.
stop() {
	local name pid pids=()
	for name in "$@"; do
		[[ -f $S/pids/$name.pid ]] || continue
		pid=$(<"$S/pids/$name.pid")
		if ours "$pid"; then
			kill -TERM "$pid" 2>/dev/null
			pids+=("$pid")
		fi
		rm -f "$S/pids/$name.pid"
	done
	for _ in $(seq 1 40); do
		local alive=0
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || return 0
		sleep 0.25
	done
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
}

# The kubelet and kube-proxy first, so nothing restarts what goes next.
stop kubelet kube-proxy
# Every container and sandbox, through containerd while it runs.
if [[ -S $S/containerd/containerd.sock ]] && "${ctr[@]}" version >/dev/null 2>&1; then
	for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
		"${ctr[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
	done
	sleep 1
	for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
		"${ctr[@]}" tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do
		"${ctr[@]}" containers delete "$id" >/dev/null 2>&1
	done
fi
# Whatever is left in the pods' cgroups (containerd may have died first).
for procs in $(find /sys/fs/cgroup/*/kubepods -name cgroup.procs 2>/dev/null); do
	while read -r pid; do
		kill -KILL "$pid" 2>/dev/null
	done <"$procs"
done
stop containerd
# Shims outlive containerd; these serve this cluster's socket only.
for p in /proc/[0-9]*; do
	cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue  # a process may end meanwhile
	if [[ $cmd == *containerd-shim*"$S/containerd/containerd.sock"* ]]; then
		kill -KILL "${p#/proc/}" 2>/dev/null
	fi
done
stop coredns kube-scheduler kube-controller-manager kube-apiserver etcd

# shellcheck source=/dev/null
source "$S/host-before.env" 2>/dev/null

# Mounts: the kubelet's volumes, containerd's rootfs and shm mounts, and
# the pods' network namespaces, deepest first.
umount_under() {
	findmnt -rn -o TARGET | awk -v p="$1" 'index($0, p) == 1' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
}
umount_under "$S/"
umount_under /run/containerd/
for ns in /run/netns/*; do
	[[ -e $ns ]] || continue
	name=${ns#/run/netns/}
	[[ " ${netns_before:-} " == *" $name "* ]] && continue
	[[ $name == cni-* ]] || continue
	umount -l "$ns" 2>/dev/null
	rm -f "$ns"
done

# The network: the bridge, iptables rules and chains named KUBE-* (kube-proxy,
# the kubelet) and CNI-* (the CNI plugins), conntrack entries, ip_forward.
ip link del "$BRIDGE" 2>/dev/null
for cmd in iptables ip6tables; do
	command -v "$cmd-save" >/dev/null || continue
	for table in filter nat mangle raw; do
		rules=$("$cmd-save" -t "$table" 2>/dev/null) || continue
		grep -qE 'KUBE-|CNI-' <<<"$rules" || continue
		grep -vE '^:(KUBE|CNI)-|-A (KUBE|CNI)-|-j (KUBE|CNI)-|--comment "?(kubernetes|CNI)' <<<"$rules" | "$cmd-restore" -T "$table" 2>/dev/null ||
			echo "local-k8s: could not remove the $table table's KUBE-/CNI- rules with $cmd-restore" >&2
	done
done
if command -v conntrack >/dev/null; then
	conntrack -D -s "$POD_CIDR" >/dev/null 2>&1
	conntrack -D -d "$SERVICE_CIDR" >/dev/null 2>&1
fi
[[ -n ${ip_forward:-} ]] && echo "$ip_forward" >/proc/sys/net/ipv4/ip_forward

# The pods' cgroups, deepest first (empty now).
find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null

# Files outside the state folder.
for l in /var/log/containers/*; do
	[[ -L $l && $(readlink "$l") == "$S"/* ]] && rm -f "$l"
done
rm -f /var/lib/cni/results/mnemo-local-* 2>/dev/null
if [[ -L $HOME/.kube/config && $(readlink "$HOME/.kube/config") == "$S/admin.kubeconfig" ]]; then
	rm -f "$HOME/.kube/config"
fi
for d in /run/containerd /run/netns /var/lib/cni /var/lib/kubelet /var/log/containers "$HOME/.kube"; do
	key=existed_$(tr -c 'a-z0-9\n' _ <<<"${d#/}")
	if [[ ${!key:-1} == 0 ]]; then
		rm -rf "$d"
	fi
done

# The state folder last, its logs kept.
rm -rf "$(dirname "$S")/last-logs"
mv "$S/logs" "$(dirname "$S")/last-logs" 2>/dev/null
if ! rm -rf "$S" 2>/dev/null; then
	umount_under "$S/"
	rm -rf "$S"
fi
echo "local-k8s: cluster down in $((SECONDS - start))s" >&2
