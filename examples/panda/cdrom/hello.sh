echo "ptest-cdrom: hello from the host"
