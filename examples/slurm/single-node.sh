#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for trying the job-array recipe and for
# ghostsum's scheduler tests. Needs root; Debian or Ubuntu packages (installed if missing).
#
#   examples/slurm/single-node.sh start DIR   # daemons up, node idle; prints the SLURM_CONF to export
#   examples/slurm/single-node.sh stop DIR    # jobs cancelled (SIGKILL after 10 s), daemons
#                                             # stopped; exit 1 naming any process left
#
# Everything (configuration, state, logs, PID files) lives in DIR; nothing under /etc changes
# but the munge key, which munge requires at /etc/munge/munge.key (made once if absent).
# Works without systemd as PID 1. Measured facts behind each setting: ../shared/SLURM-NOTES.md
# of the project (MinJobAge=4 keeps `sbatch --wait` polling every 2 s).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$dir/slurm.conf

install_packages() {
  local need=()
  for cmd in slurmctld slurmd sbatch munged; do command -v "$cmd" >/dev/null || need=(slurmctld slurmd slurm-client munge); done
  [ ${#need[@]} -eq 0 ] && return
  # The packages' scripts try to start services; a policy-rc.d that answers 101 stops that.
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; made_policy=1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ -n "$made_policy" ] && rm -f "$policy"
  return 0
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  fi
  chown munge:munge /etc/munge/munge.key /etc/munge
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- munged --force
    touch "$dir/munged-started-here"
  fi
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
  echo "$0: munged did not start" >&2; exit 1
}

write_config() {
  local host cpus
  host=$(hostname -s)
  cpus=$(nproc)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$conf" <<EOF
ClusterName=ghostsum
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
MinJobAge=4
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "CgroupPlugin=cgroup/v1" > "$dir/cgroup.conf"
}

start() {
  [ "$(id -u)" -eq 0 ] || { echo "$0: needs root (the daemons and munge's key)" >&2; exit 1; }
  check_dir_trusted
  install_packages
  start_munge
  write_config
  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  # slurmd 22.05 always loads a cgroup plugin and refuses to start without a cgroup file
  # system it understands. Hosts differ (v1, v2 only, none, read-only in a container), so it
  # gets the same thing everywhere: an empty tmpfs on /sys/fs/cgroup in a private mount
  # namespace, which its jobs inherit; the host's own mounts are untouched.
  unshare --mount --propagation private sh -c "mount -t tmpfs none /sys/fs/cgroup && exec slurmd -f '$conf'"
  for _ in $(seq 150); do
    case "$(sinfo -h -N -o %t 2>/dev/null)" in
      idle) echo "export SLURM_CONF=$conf"; return ;;
    esac
    sleep 0.2
  done
  echo "$0: the node did not become idle; see $dir/log" >&2
  tail -5 "$dir/log/slurmd.log" "$dir/log/slurmctld.log" >&2 || true
  exit 1
}

# DIR must be the caller's and closed to others: stop runs as root with DIR's slurm.conf and
# signals the PIDs its PID files name, so a DIR someone else can write into would let them
# choose what root kills.
check_dir_trusted() {
  local path
  for path in "$dir" "$conf" "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
    [ -e "$path" ] || continue
    if [ "$(stat -c %u "$path")" != "$(id -u)" ]; then
      echo "$0: $path is owned by user $(stat -c %U "$path"), not by you; refusing to trust it" >&2; exit 1
    fi
    if [ $(( 0$(stat -c %a "$path") & 022 )) -ne 0 ]; then
      echo "$0: $path can be written by others (mode $(stat -c %a "$path")); refusing to trust it: chmod go-w it" >&2; exit 1
    fi
  done
}

# The program a process runs, by its executable (Debian installs slurmd as slurmd-wlm).
program_of() {
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 0
  exe=$(basename "$exe")
  echo "${exe%-wlm}"
}

# The PID in a PID file, only if that process is the daemon named and runs with this conf.
daemon_pid() {
  local name=$1 pid
  pid=$(cat "$dir/$name.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(program_of "$pid")" = "$name" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$conf" || return 1
  echo "$pid"
}

# This cluster's slurmd and slurmctld (their command line names the conf).
daemons() {
  local pid
  # One name a call: pgrep matches at most 15 characters, and 'slurmd|slurmctld' is 16.
  for pid in $(pgrep -x slurmd; pgrep -x slurmctld); do
    case $(program_of "$pid") in
      slurmd|slurmctld) tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$conf" && echo "$pid" ;;
    esac
  done
  return 0
}

# The slurmstepd of this cluster's jobs (their environment names the conf) and every process
# those jobs started: a job's processes outlive a killed slurmstepd.
job_processes() {
  local pid
  for pid in $(pgrep -x slurmstepd); do
    [ "$(program_of "$pid")" = slurmstepd ] || continue
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then
      echo "$pid"
      descendants "$pid"
    fi
  done
  return 0
}

descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

stop() {
  check_dir_trusted
  export SLURM_CONF=$conf
  if [ -f "$conf" ] && command -v squeue >/dev/null; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    # Jobs get SIGTERM; one that ignores it for 10 s gets SIGKILL.
    for _ in $(seq 100); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.1; done
    squeue -h -o %A 2>/dev/null | xargs -r scancel --signal=KILL --full 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  local name pid
  # What is left of the jobs ignored SIGTERM and outlived scancel's SIGKILL: killed now.
  for pid in $(job_processes); do kill -KILL "$pid" 2>/dev/null || true; done
  for name in slurmd slurmctld; do
    if pid=$(daemon_pid "$name"); then kill "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 50); do [ -z "$(daemons)" ] && break; sleep 0.1; done
  # A daemon stuck, or one whose PID file did not name it: killed.
  for pid in $(daemons); do kill -KILL "$pid" 2>/dev/null || true; done
  for _ in $(seq 30); do [ -z "$(daemons)$(job_processes)" ] && break; sleep 0.1; done
  # munged too, if this script started it (a munged that was already running stays).
  if [ -f "$dir/munged-started-here" ] && [ -s /run/munge/munged.pid ]; then
    pid=$(cat /run/munge/munged.pid)
    if [ "$(program_of "$pid")" = munged ]; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$dir/munged-started-here"
  fi
  local left
  left="$(daemons) $(job_processes)"
  left=$(echo $left)
  if [ -n "$left" ]; then
    echo "$0: still running after SIGKILL: $(echo $left | tr '\n' ' ')" >&2
    exit 1
  fi
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
