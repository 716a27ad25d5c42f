// Package appplan decides, from what Docker reports, what a volume backup
// does: which volumes are backed up, grouped into which apps, which
// containers stop for each and in which order, with which hooks, dumps
// and saved images, and why. It is the pure half of drydock's Docker
// support: it takes inspect structs and labels and never talks to Docker
// (it imports only Docker's API type packages), so a plan can be built,
// tested and explained without a daemon. pkg/volume discovers the host
// (Manager.Discover, Manager.Plan) and carries a plan out; cmd/drydock
// renders it for `drydock volumes ls`.
//
// The name says what it holds: the plan of the apps on a host, beside
// pkg/appdef (an app's saved definition) and pkg/apprestore (restoring an
// app).
//
// # Selection
//
// ContainerFromInspect turns Docker's view of a container (and of the
// Swarm service it is a task of) into a Container: mounts, labels parsed
// into Settings, and every dependency Docker records. BuildPlan then
// decides, from labels, what is backed up (nothing unless opted in with
// drydock.backup=true), which containers stop, and groups volumes into
// apps. The labels:
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
// LABELS.md states the exact rules; a Plan explains each decision (its
// reasons, skipped volumes and warnings), which `drydock volumes ls`
// prints. BuildPlan never fails: malformed labels skip what they concern
// and say why.
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
// # Swarm services
//
// A task of a Swarm service carries its service's labels as well as its
// own (disagreeing values are malformed). A task of a replicated service
// is planned with ActionScale (the service is scaled to 0 and back); a
// global service cannot be scaled, so its tasks are kept running (or
// paused); without a Swarm manager to inspect the service, its app fails
// before anything is stopped. Hooks, dumps and the definition of a
// service are planned once, not per task.
package appplan
