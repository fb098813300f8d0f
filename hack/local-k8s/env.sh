# env.sh holds the local cluster's settings, which up.sh, down.sh and the e2e
# suite share. Source it from the repository's root.
# shellcheck shell=bash

# S is the state folder: everything the cluster writes, and the record of
# what it changed on the host.
S=${LOCAL_K8S_DIR:-$PWD/bin/local-k8s/run}
NODE_NAME=mnemo-local
# The node's address, on a bridge of its own: the API server, the kubelet
# and CoreDNS listen there, and it is the pods' gateway.
BRIDGE=mnemo0
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
CLUSTER_DOMAIN=cluster.local
# Ports a busy test machine is unlikely to use otherwise.
API_PORT=16443
ETCD_PORT=23790
ETCD_PEER_PORT=23800
PROXY_HEALTHZ_PORT=10356
PROXY_METRICS_PORT=10349
DNS_READY_PORT=18181
PAUSE_IMAGE=mnemo.local/pause:v1
# hostPath volumes offered to PersistentVolumeClaims (3 per Cluster's log).
# They are kept (Retain) when a Cluster goes, not reused: the e2e suite
# creates about 15 Clusters, so the pool holds room for 30.
VOLUMES=${LOCAL_K8S_VOLUMES:-90}
# kubectl's discovery cache stays in the state folder, not in ~/.kube.
export KUBECACHEDIR=$S/kubectl-cache
