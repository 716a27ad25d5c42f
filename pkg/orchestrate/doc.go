// Package orchestrate is drydock's daemon: it runs the jobs of a
// configuration (package config) on their cron schedules — backups of
// paths or Docker volumes, retention (forget, then prune) after each
// backup, and scheduled verification (check with a read-data subset and a
// test restore) — and reports on them through Prometheus metrics, a
// health endpoint, a status endpoint and notifications.
//
// Jobs of one repository coordinate through restic's lock protocol, like
// any other host writing to it; within one daemon, a per-repository
// read-write mutex also keeps backups (shared) and forget/prune/check
// (exclusive) from waiting on each other's repository locks.
package orchestrate
