#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (as root) for testing the SLURM profile.
# Needs Debian's slurmctld, slurmd, slurm-client and munge. Prints the scratch folder; stop the
# cluster with tests/slurm/stop_cluster.sh <folder>.
set -euo pipefail
scratch=${1:-$(mktemp -d /tmp/slurm.XXXXXX)}
mkdir -p "$scratch"/{state,spool,log,run,munge}
chmod 755 "$scratch" "$scratch/munge"
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 2048 ))

dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$scratch/munge/munge.key"
munged --key-file="$scratch/munge/munge.key" --socket="$scratch/munge/munge.socket" \
  --pid-file="$scratch/run/munged.pid" --log-file="$scratch/log/munged.log" \
  --seed-file="$scratch/munge/munge.seed" --force

cat >"$scratch/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=${host}(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$scratch/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmctldPidFile=$scratch/run/slurmctld.pid
SlurmdPidFile=$scratch/run/slurmd.pid
SlurmdSpoolDir=$scratch/spool
StateSaveLocation=$scratch/state
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
MinJobAge=300
DefMemPerCPU=1000
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p /etc/slurm
ln -sf "$scratch/slurm.conf" /etc/slurm/slurm.conf
export SLURM_CONF=$scratch/slurm.conf
slurmctld
slurmd
for _ in $(seq 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo
echo "$scratch"
