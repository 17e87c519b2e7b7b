#!/bin/sh
# Inside a VM: turns the lines the host's Cinergy agent writes into the virtio-serial port
# org.cinergy.power.0 into node-exporter textfile metrics (README, "Inside the VM").
#
#   cinergy-guest-textfile.sh [OUTPUT_FILE [PORT]]
#
# OUTPUT_FILE defaults to /var/lib/prometheus/node-exporter/cinergy.prom (Debian's
# prometheus-node-exporter reads that directory: --collector.textfile.directory); PORT to
# /dev/virtio-ports/org.cinergy.power.0. Runs until killed; when the host end goes away (an agent
# restart) the port reads end of file and is opened again. Each line replaces the file atomically
# (written beside it, then renamed). Needs only a POSIX sh and sed; run it as a user that may read
# the port (root, or a udev rule giving it a group).
set -u

output=${1:-/var/lib/prometheus/node-exporter/cinergy.prom}
port=${2:-/dev/virtio-ports/org.cinergy.power.0}

# The number after "KEY": inside the object OBJECT (power or carbon) of the line in $line.
# Keys are matched after '{' or ',' so that text inside a string cannot pass for one.
number() {
  printf '%s\n' "$line" | sed -n "s/.*\"$1\":{\(.*\)/{\1/; s/.*[{,]\"$2\":\(-\{0,1\}[0-9][0-9.eE+-]*\).*/\1/p"
}

metric() { # NAME TYPE HELP VALUE
  [ -n "$4" ] || return 0
  printf '# HELP %s %s\n# TYPE %s %s\n%s %s\n' "$1" "$3" "$1" "$2" "$1" "$4"
}

while true; do
  if [ -r "$port" ]; then
    while IFS= read -r line; do
      case "$line" in '{"format_version":1,'*) ;; *) continue ;; esac
      {
        metric cinergy_guest_power_watts gauge "Isolated power of this VM (static + dynamic), in watts." "$(number power total_power_watts)"
        metric cinergy_guest_static_power_watts gauge "This VM's share of the host's idle power, in watts." "$(number power static_power_watts)"
        metric cinergy_guest_dynamic_power_watts gauge "This VM's dynamic power, in watts." "$(number power dynamic_power_watts)"
        metric cinergy_guest_energy_joules_total counter "Energy of this VM's isolated power, in joules." "$(number power energy_joules)"
        metric cinergy_guest_carbon_grams_total counter "Carbon emitted by this VM, in grams CO2eq." "$(number carbon carbon_grams)"
        metric cinergy_guest_carbon_intensity_grams_per_hour gauge "This VM's carbon emission rate, in grams CO2eq per hour." "$(number carbon carbon_intensity_gco2_per_hour)"
      } > "$output.tmp" && mv "$output.tmp" "$output"
    done < "$port"
  fi
  sleep 1
done
