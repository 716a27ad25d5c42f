// Package config reads and validates drydock's daemon configuration: named
// repositories, jobs with cron schedules, retention and verification, and
// notification targets, in YAML. Every error names the file, line and key
// at fault, so that `drydock config check` and a failing daemon start point
// at what to fix. An embedded default (every labelled Docker volume,
// nightly, into a local repository) makes the file optional.
package config
