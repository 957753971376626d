// Whole tasks through the local socket, against real `gridnode` processes on loopback:
//
//     swift build -c release --product gridnode                      # in the root package
//     cd Benchmarks && swift build -c release --product TaskLoad
//     .build/release/TaskLoad [--gridnode ../.build/release/gridnode] [--sync 2000] [--tasks 20000] [--connections 32]
//
// It starts three nodes in a temporary directory: L serves `echo` (local runs), R serves nothing
// and E serves `echo`, so R delegates every `echo` to E. Then, for local (submitted to L) and
// remote (submitted to R):
//   - sync latency: `--sync` tasks one after another on one connection, `wait: true`; p50/p99;
//   - async throughput: `--tasks` tasks submitted without waiting (`wait: false`) over
//     `--connections` connections, then the time until the node has finished them all
//     (polled with task.get on the last task of each connection); tasks per second;
// and the idle resident memory (VmRSS) of each node before any task and at the end.
// Prints one line per figure. Not a timed test: run it on a quiet machine.
//
// With `--served` it measures instead the built-in `echo` against a skill an application serves
// over the local socket, local and delegated, in one run (ServedLoad.swift has the details):
//
//     .build/release/TaskLoad --served [--sync 2000] [--tasks 20000] [--inflight 64] [--inflight-connections 8]

import Foundation

exit(await TaskLoad.run(CommandLine.arguments))
