// Package volume backs up Docker volumes consistently: it stops the
// containers that write to a volume, lets the caller back it up, and starts
// them again, in dependency order, on every exit path, with short downtime.
// It is the half of drydock's Docker support that talks to Docker: the
// stop/start session, Swarm scaling, the journal and host lock, hooks,
// dumps, image saving and reading an app's definition. The plan it
// carries out comes from package appplan.
//
// # Discovery and planning
//
// Manager.Discover lists volumes and every container, running or not,
// with its mounts, labels and recorded dependencies, and the Swarm
// services of its tasks; compose one-off containers, a restore drill's
// containers and volumes, and HostLockVolume are left out. What to do
// with them is decided by package appplan (BuildPlan; Manager.Plan does
// both), which never talks to Docker; this package carries the plan out.
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
// drydock.max-downtime of the app's volumes and containers (appplan.App.MaxDowntime),
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
// (appplan.Inventory.Services); the service's labels and the container's both
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
