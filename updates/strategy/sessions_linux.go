package strategy

import "syscall"

// noCTTY keeps a terminal we write to from becoming the daemon's controlling terminal.
const noCTTY = syscall.O_NOCTTY | syscall.O_NONBLOCK
