# Mounted by /init with one `mount -a -T` (fewer execs: each costs under TCG).
proc      /proc      proc      defaults     0 0
sysfs     /sys       sysfs     defaults     0 0
devtmpfs  /dev       devtmpfs  defaults     0 0
tmpfs     /tmp       tmpfs     mode=1777    0 0
