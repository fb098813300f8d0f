#!/usr/bin/env bash
# up.sh brings up a one-node Kubernetes on this machine: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, a kubelet on a
# private containerd, kube-proxy and CoreDNS, all host processes, built from
# the Go module proxy by build.sh (containerd, runc, the CNI plugins and
# iptables are Debian's). It writes a kubeconfig and prints where.
#
# Everything lives in one state folder, $LOCAL_K8S_DIR (bin/local-k8s/run):
# the PKI, configs, logs, PIDs, etcd's data, containerd's root and state,
# the kubelet's root. What it must change outside it (a bridge, iptables
# chains, ip_forward, /run/netns, /run/containerd, /var/lib/cni, cgroups,
# /var/log/containers links) is recorded first, in host-before.env, so that
# down.sh undoes exactly that, even after a failed or interrupted up.
#
# The cluster listens only on loopback and its own bridge address
# ($NODE_IP); pods get no route out (no masquerade) and DNS answers only the
# cluster's zone.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=hack/local-k8s/env.sh
source hack/local-k8s/env.sh

if [[ -e $S/up ]]; then
	echo "local-k8s: a cluster is already up (state in $S); make cluster-down first" >&2
	exit 1
fi
if ((EUID != 0)); then
	echo "local-k8s: the kubelet and containerd need root" >&2
	exit 1
fi
start=$SECONDS
stamp() { echo "local-k8s: $1 at +$((SECONDS - start))s" >&2; }

# Debian's container runtime, when missing.
packages=()
command -v containerd >/dev/null || packages+=(containerd)
command -v runc >/dev/null || packages+=(runc)
[[ -x /usr/lib/cni/bridge ]] || packages+=(containernetworking-plugins)
command -v iptables >/dev/null || packages+=(iptables)
command -v conntrack >/dev/null || packages+=(conntrack)
if ((${#packages[@]} > 0)); then
	echo "local-k8s: installing ${packages[*]} with apt-get" >&2
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2; then
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2
	fi
fi

bins=$(bash hack/local-k8s/build.sh)
stamp "binaries ready in $bins"

mkdir -p "$S"/{pki,logs,pids,etcd,cni/net.d,cni/ipam,containerd,kubelet,pod-logs}
# What the host looks like now: down.sh puts it back.
{
	echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
	for d in /run/containerd /run/netns /var/lib/cni /var/lib/kubelet /var/log/containers "$HOME/.kube"; do
		key=$(tr -c 'a-z0-9\n' _ <<<"${d#/}")
		[[ -e $d ]] && echo "existed_$key=1" || echo "existed_$key=0"
	done
	echo "netns_before='$(ls /run/netns 2>/dev/null | tr '\n' ' ')'"
} >"$S/host-before.env"
touch "$S/up"

# --- PKI: a throwaway CA and a certificate for every component.
pki=$S/pki
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mnemo-local-ca" \
	-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
cert() { # cert NAME CN [O] [SANS]
	local name=$1 cn=$2 o=${3:-} sans=${4:-}
	local subj="/CN=$cn"
	[[ -n $o ]] && subj="/O=$o$subj"
	local ext=$pki/$name.ext
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=serverAuth,clientAuth"
		[[ -n $sans ]] && echo "subjectAltName=$sans"
	} >"$ext"
	openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 2 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}
cert apiserver kube-apiserver "" "IP:$NODE_IP,IP:127.0.0.1,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
cert admin mnemo-local-admin system:masters
cert controller-manager system:kube-controller-manager
cert scheduler system:kube-scheduler
cert kube-proxy system:kube-proxy
cert kubelet "system:node:$NODE_NAME" system:nodes "IP:$NODE_IP,DNS:$NODE_NAME"
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
kubeconfig() { # kubeconfig NAME: a kubeconfig for the NAME certificate
	cat >"$S/$1.kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		- name: mnemo-local
		  cluster:
		    server: https://$NODE_IP:$API_PORT
		    certificate-authority: $pki/ca.crt
		users:
		- name: $1
		  user:
		    client-certificate: $pki/$1.crt
		    client-key: $pki/$1.key
		contexts:
		- name: mnemo-local
		  context: {cluster: mnemo-local, user: $1}
		current-context: mnemo-local
	EOF
}
for c in admin controller-manager scheduler kube-proxy kubelet; do kubeconfig "$c"; done
stamp "PKI written"

# spawn NAME COMMAND...: run a component in the background, logging to
# logs/NAME.log, its PID in pids/NAME.pid (down.sh stops it by that PID).
spawn() {
	local name=$1
	shift
	setsid "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$S/pids/$name.pid"
}
# wait_for WHAT SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local what=$1 limit=$2
	shift 2
	local deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "local-k8s: $what not ready after ${limit}s; logs in $S/logs" >&2
			exit 1
		fi
		sleep 0.5
	done
	stamp "$what ready"
}

# --- The node's network: a bridge that holds the node's address, which
# the API server, the kubelet and CoreDNS listen on and pods reach the host
# by. Pods get addresses on it from the bridge CNI plugin.
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
	ip link add "$BRIDGE" type bridge
fi
ip addr replace "$NODE_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
echo 1 >/proc/sys/net/ipv4/ip_forward
cat >"$S/cni/net.d/10-mnemo.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mnemo-local",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BRIDGE",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": "$S/cni/ipam",
      "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
      "routes": [{"dst": "$SERVICE_CIDR"}]
    }
  }]
}
EOF

# --- Control plane.
spawn etcd "$bins/etcd" --name mnemo-local --data-dir "$S/etcd" \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "mnemo-local=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
spawn kube-apiserver "$bins/kube-apiserver" \
	--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
	--bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
	--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
	--client-ca-file "$pki/ca.crt" \
	--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
	--service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
	--service-cluster-ip-range "$SERVICE_CIDR" \
	--authorization-mode Node,RBAC \
	--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP
export KUBECONFIG=$S/admin.kubeconfig
wait_for kube-apiserver 120 kubectl get --raw /readyz
spawn kube-controller-manager "$bins/kube-controller-manager" \
	--kubeconfig "$S/controller-manager.kubeconfig" \
	--authentication-kubeconfig "$S/controller-manager.kubeconfig" --authorization-kubeconfig "$S/controller-manager.kubeconfig" \
	--secure-port 0 --leader-elect=false --use-service-account-credentials \
	--root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
	--cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
	--service-cluster-ip-range "$SERVICE_CIDR"
spawn kube-scheduler "$bins/kube-scheduler" \
	--kubeconfig "$S/scheduler.kubeconfig" \
	--authentication-kubeconfig "$S/scheduler.kubeconfig" --authorization-kubeconfig "$S/scheduler.kubeconfig" \
	--secure-port 0 --leader-elect=false

# --- The node: containerd with its own paths, then the kubelet.
cat >"$S/containerd/config.toml" <<EOF
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$S/containerd/containerd.sock"
[ttrpc]
  address = "$S/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine lacks CAP_SYS_RESOURCE: without it every sandbox fails.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
EOF
spawn containerd containerd --config "$S/containerd/config.toml"
wait_for containerd 60 ctr --address "$S/containerd/containerd.sock" version
# The pause image: a static binary that waits for SIGTERM.
CGO_ENABLED=0 go build -trimpath -o "$S/pause" ./hack/local-k8s/pause
go run ./hack/image -binary "$S/pause" -entrypoint /pause -name "$PAUSE_IMAGE" -o "$S/pause.tar"
ctr --address "$S/containerd/containerd.sock" -n k8s.io images import "$S/pause.tar" >/dev/null
stamp "pause image imported"

cat >"$S/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$NODE_IP]
resolvConf: $S/resolv.conf
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$S/containerd/containerd.sock
podLogsDir: $S/pod-logs
serializeImagePulls: false
# A test machine's disk is shared: evict only when it is nearly full.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
EOF
# Pods resolve through the cluster DNS only; no host name server leaks in.
: >"$S/resolv.conf"
spawn kubelet "$bins/kubelet" --config "$S/kubelet.yaml" --kubeconfig "$S/kubelet.kubeconfig" \
	--root-dir "$S/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
spawn kube-proxy "$bins/kube-proxy" --kubeconfig "$S/kube-proxy.kubeconfig" \
	--proxy-mode iptables --hostname-override "$NODE_NAME" --cluster-cidr "$POD_CIDR" \
	--masquerade-all --conntrack-max-per-core 0 \
	--healthz-bind-address "127.0.0.1:$PROXY_HEALTHZ_PORT" --metrics-bind-address "127.0.0.1:$PROXY_METRICS_PORT"

# --- Cluster DNS: CoreDNS as a host process on the node's address.
cat >"$S/Corefile" <<EOF
.:53 {
  bind $NODE_IP
  errors
  ready 127.0.0.1:$DNS_READY_PORT
  kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
    kubeconfig $S/admin.kubeconfig
    pods insecure
    ttl 5
  }
  cache 5
  loadbalance
}
EOF
spawn coredns "$bins/coredns" -conf "$S/Corefile"

# --- Storage: log servers claim volumes. A default StorageClass with a pool
# of hostPath volumes in the state folder stands in for a provisioner.
mkdir -p "$S/volumes"
{
	cat <<-EOF
		apiVersion: storage.k8s.io/v1
		kind: StorageClass
		metadata:
		  name: local
		  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
		provisioner: kubernetes.io/no-provisioner
		volumeBindingMode: WaitForFirstConsumer
		reclaimPolicy: Retain
	EOF
	for i in $(seq -w 1 "$VOLUMES"); do
		mkdir -p "$S/volumes/pv$i"
		chown 65532:65532 "$S/volumes/pv$i"
		cat <<-EOF
			---
			apiVersion: v1
			kind: PersistentVolume
			metadata: {name: local-pv$i}
			spec:
			  capacity: {storage: 20Gi}
			  accessModes: [ReadWriteOnce]
			  persistentVolumeReclaimPolicy: Retain
			  storageClassName: local
			  hostPath: {path: $S/volumes/pv$i, type: Directory}
		EOF
	done
} >"$S/storage.yaml"
kubectl apply -f "$S/storage.yaml" >/dev/null

wait_for "node $NODE_NAME" 120 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
wait_for coredns 60 curl -fsS "http://127.0.0.1:$DNS_READY_PORT/ready"
# The default ServiceAccount must exist before pods can be made.
wait_for "default ServiceAccount" 60 kubectl get serviceaccount default

# Where kubectl finds it: ~/.kube/config when there is none yet.
if [[ ! -e $HOME/.kube/config ]]; then
	mkdir -p "$HOME/.kube"
	ln -s "$S/admin.kubeconfig" "$HOME/.kube/config"
fi
stamp "cluster up"
echo "local-k8s: kubectl works with KUBECONFIG=$S/admin.kubeconfig" >&2
echo "$S/admin.kubeconfig"
