package config

import "github.com/drydock-backup/drydock/pkg/location"

// Env returns the environment a backend of r reads its credentials from:
// the configuration's files first, then getenv (the daemon's environment,
// e.g. systemd's EnvironmentFile or credentials). The daemon and the CLI's
// --repo-name both open r with it.
func (r *Repository) Env(getenv func(string) string) func(string) string {
	set := map[string]string{}
	if s := r.SFTP; s != nil {
		set[location.EnvSFTPKeyFile] = s.KeyFile
		set[location.EnvSFTPKnownHostsFile] = s.KnownHostsFile
	}
	if s := r.S3; s != nil {
		set["AWS_ACCESS_KEY_ID"] = s.AccessKeyID
		set["AWS_ACCESS_KEY_ID_FILE"] = s.AccessKeyIDFile
		set["AWS_SECRET_ACCESS_KEY_FILE"] = s.SecretAccessKeyFile
		set["AWS_DEFAULT_REGION"] = s.Region
	}
	return func(k string) string {
		if v := set[k]; v != "" {
			return v
		}
		return getenv(k)
	}
}
