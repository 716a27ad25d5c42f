// Package rest stores a restic repository on a server speaking restic's
// REST protocol, version 2 (rest-server, "rclone serve restic"): files are
// HEAD, GET (with Range), POST and DELETE on {path}/{type}/{name} and
// {path}/config, listings GET {path}/{type}/ with
// "Accept: application/vnd.x.restic.rest.v2" answer names with sizes, and
// POST {path}?create=true creates the repository. Packs are addressed as
// data/{name}, without the two-hex subdirectory the server keeps on disk.
//
// Credentials come from the URL's user info and are sent as HTTP basic
// auth; they never appear in errors or logs: the password is a
// secret.Value, requests are made to the URL without user info, and
// net/http's *url.Error is replaced by one naming the redacted location. TLS can use a private CA and a
// client certificate. Saving atomically is the server's job: both servers
// named above remove an upload that did not complete.
package rest
