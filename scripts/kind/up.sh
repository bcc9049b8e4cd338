#!/usr/bin/env bash
# A kind cluster whose kube-apiserver keeps its state in cnpaas-store, with the webshop installed:
#
#   1. PKI and kind's configuration (cnpaas kind-config): the store's mTLS certificates, the
#      client certificate kube-apiserver presents to the webhooks, kubeadm patched to external etcd;
#   2. the images, built with scripts/image/build.sh (skip with --skip-build);
#   3. cnpaas-store as a container on the `kind` Docker network, its data in a bind-mounted directory;
#   4. the kind cluster, its kube-apiserver on the store;
#   5. the images loaded into the node (`kind load docker-image`);
#   6. `cnpaas install --overlay kind`, waiting for every component;
#   7. a registration, answered by the cluster.
#
# Needs Docker, kind (KIND_VERSION below), kubectl and Node.js 24 with `npm ci && npm run build` done.
# Everything it creates is named in common.sh; scripts/kind/down.sh removes it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

skip_build=false
for arg in "$@"; do
  case $arg in
    --skip-build) skip_build=true ;;
    -h | --help)
      sed -n '2,16p' "$0"
      exit 0
      ;;
    *) die "unknown argument $arg" "scripts/kind/up.sh [--skip-build]" ;;
  esac
done

need docker "install Docker: https://docs.docker.com/engine/install/"
need kind "install kind ${KIND_VERSION}: go install sigs.k8s.io/kind@${KIND_VERSION}"
need kubectl "install kubectl ${k8s_version}"
need node "install Node.js 24 (.nvmrc)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer" "start Docker"
have_kind=$(kind version | sed -n 's/^kind \(v[0-9.]*\).*/\1/p')
[ "$have_kind" = "$KIND_VERSION" ] || say "kind is ${have_kind:-unknown}, this script is tested with ${KIND_VERSION}"
[ -f "$root/packages/platform/dist/cli.js" ] || die "the workspace is not built" "npm ci && npm run build"
cnpaas() { node "$root/packages/platform/bin/cnpaas.js" "$@"; }

say "1/7 PKI and kind configuration in $STATE"
cnpaas kind-config --dir "$STATE" --cluster-name "$CLUSTER" --store-host "$STORE" --node-image "$NODE_IMAGE" >/dev/null

if [ "$skip_build" = false ]; then
  say "2/7 images ${IMAGE_REGISTRY}/*:${version}"
  for entry in "${IMAGES[@]}"; do
    IMAGE_REGISTRY=$IMAGE_REGISTRY bash "$root/scripts/image/build.sh" "${entry%%:*}" "${entry#*:}"
  done
else
  say "2/7 images: skipped (--skip-build)"
fi

say "3/7 ${STORE} on the kind network (mTLS, data in $STATE/store-data)"
docker network inspect kind >/dev/null 2>&1 || docker network create kind >/dev/null
mkdir -p "$STATE/store-data"
if docker container inspect "$STORE" >/dev/null 2>&1; then
  say "   ${STORE} exists; starting it if stopped"
  docker start "$STORE" >/dev/null
else
  # The host user's uid, so the store reads the key files and writes its data directory as they are.
  docker run --detach --name "$STORE" --network kind --restart unless-stopped \
    --user "$(id -u):$(id -g)" --read-only --tmpfs /tmp \
    --volume "$STATE/store:/etc/cnpaas-store:ro" \
    --volume "$STATE/store-data:/var/lib/cnpaas-store" \
    "${IMAGE_REGISTRY}/cnpaas-store:${version}" \
    --topology /app/packages/webshop/topologies/demo.yaml \
    --listen-client-urls https://0.0.0.0:2379 \
    --cert-file /etc/cnpaas-store/store.crt --key-file /etc/cnpaas-store/store.key \
    --trusted-ca-file /etc/cnpaas-store/store-ca.crt --client-cert-auth \
    --listen-metrics-urls http://127.0.0.1:2381 >/dev/null
fi

say "4/7 kind cluster ${CLUSTER} (${NODE_IMAGE}), kube-apiserver on ${STORE}"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  say "   cluster ${CLUSTER} exists; keeping it"
else
  kind create cluster --config "$STATE/kind-config.yaml" --kubeconfig "$STATE/kubeconfig" --wait 120s
fi
kind get kubeconfig --name "$CLUSTER" >"$STATE/kubeconfig"

say "5/7 images into the node"
for entry in "${IMAGES[@]}"; do
  [ "${entry%%:*}" = store ] && continue
  kind load docker-image --name "$CLUSTER" "${IMAGE_REGISTRY}/${entry#*:}:${version}"
done

say "6/7 cnpaas install --overlay kind"
cnpaas install --kubeconfig "$STATE/kubeconfig" --overlay kind --webhook-client-ca "$STATE/node/webhook-client-ca.crt" \
  --image-registry "$IMAGE_REGISTRY"

say "7/7 a registration, answered by the cluster"
export KUBECONFIG=$STATE/kubeconfig
kubectl create -f "$root/examples/registration.yaml"
kubectl wait --for=delete registrationrequest --all --timeout=120s
kubectl get tenants,users -A
say "done: export KUBECONFIG=$STATE/kubeconfig; scripts/kind/down.sh removes it all"
