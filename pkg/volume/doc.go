// Package volume backs up Docker volumes consistently: it stops the
// containers that write to a volume, lets the caller back it up, and starts
// them again, in dependency order, on every exit path, with short downtime.
//
// # Selection
//
// Discovery (Manager.Discover) lists volumes and every container, running
// or not, with its mounts, labels and recorded dependencies; compose
// one-off containers are ignored. BuildPlan then decides, from labels, what
// is backed up (nothing unless opted in with drydock.backup=true), which
// containers stop, and groups volumes into apps. The labels:
//
//	drydock.backup=true|false       volume or container (then: its volumes)
//	drydock.stop=true|false|pause   container; default: true iff it mounts
//	                                a backed-up volume read-write; pause
//	                                freezes it instead of stopping it
//	drydock.tier=data|cache|rebuildable  only data is backed up
//	drydock.group=NAME              volumes backed up together as one app
//	drydock.depends-on=NAME[,NAME]  compose services or container names
//	drydock.hook.pre / .post        command exec'd in the container
//	drydock.hook.user / .timeout    its user and time limit
//	drydock.max-downtime=DURATION   volume or container: the app's limit
//
// LABELS.md states the exact rules; Plan explains each decision (String
// renders it for `drydock volumes ls`).
//
// # Ordering
//
// A Graph holds an edge from each consumer to each provider it needs, from
// everything Docker records: compose's depends_on label (matched through
// the compose project and service labels), links, network/IPC/PID mode
// container:X, volumes_from, and drydock.depends-on. Graph.Visit applies a
// function in dependency order — consumers before providers to stop,
// providers before consumers to start — running independent containers in
// parallel and rejecting cycles with their path. Containers that depend on
// a stopped one (sharing its network namespace, say) are stopped before it
// and started after it even when they mount nothing backed up.
//
// # Never leaving an app down
//
// Manager.Stop writes a journal of what it is about to stop (atomically,
// beside the host lock in HostLockVolume once Manager.LockHost took it,
// else in Options.StateDir) before stopping anything, and returns its undo.
// Undo starts providers first, waiting for "healthy" where a healthcheck
// exists, on context.WithoutCancel plus Options.RestartTimeout so that
// SIGINT cannot cut it short, tries every container whatever fails, and
// clears the journal once all run. A drydock killed in between heals at
// its next start: Manager.Recover replays the journal. A container
// recreated meanwhile is found again by compose project, service and
// number (or name). Only containers that were running are started.
//
// # Two passes
//
// Manager.BackupPlan calls the caller's BackupFunc twice per app: once
// while the app runs (a warm-up that uploads most data), and once while it
// is stopped (the snapshot of record, which the repository makes cheap by
// reusing unchanged files). The stopped phase is bounded by the smallest
// drydock.max-downtime of the app's volumes and containers (App.MaxDowntime),
// else by Options.MaxDowntime: at the deadline the app is started at once
// and its backup fails with ErrMaxDowntime. Each Result reports the downtime, from
// the first stop to the last start.
//
// # Freezing
//
// A container labelled drydock.stop=pause is frozen (docker pause) for the
// final pass instead of stopped, and unpaused at once: with the same
// journal (Recover unpauses), maximum downtime and every-path thaw. Its
// consumers are left running: its namespaces stay. Result.Frozen reports
// the freeze, first pause to last unpause.
//
// # Swarm services
//
// A task container of a Swarm service (label com.docker.swarm.service.id)
// is never stopped or started itself. Discovery inspects its service
// (Inventory.Services); the service's labels and the container's both
// apply, and disagreeing values are malformed. For the final pass a
// replicated service is scaled to 0 and back to its replica count with
// versioned updates (ActionScale), the count journalled before the
// update and a drydock.swarm.scaled-from marker set in it so that another
// node's drydock leaves the service alone; drydock waits until no task
// runs, and until the count runs again (healthy, where checked). A global
// service cannot be scaled: its tasks keep running (or pause). Hooks,
// dumps and the definition of a service are taken once, in one running
// task. Without a manager a service cannot be scaled: its app fails before
// anything is stopped.
//
// Callers should derive ctx from signal.NotifyContext, call Recover at
// startup, and pass a *slog.Logger in Options (logs are discarded
// otherwise).
package volume
