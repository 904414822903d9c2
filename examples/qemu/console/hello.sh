# Copied into the guest by the setup script (it names this host file).
echo "hello from the guest"
uname -m
ls /ptest
cat /proc/cmdline
echo "2 + 3 = $((2 + 3))"
