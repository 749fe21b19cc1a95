#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by tests/slurm/start_cluster.sh.
set -u
scratch=$1
for daemon in slurmd slurmctld munged; do
  [ -f "$scratch/run/$daemon.pid" ] && kill "$(cat "$scratch/run/$daemon.pid")" 2>/dev/null
done
rm -f /etc/slurm/slurm.conf
