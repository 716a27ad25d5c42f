package appplan_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name    string
		labels  map[string]string
		want    appplan.Settings
		wantErr string // substring; "" for none
	}{
		{name: "none", labels: nil, want: appplan.Settings{}},
		{name: "unrelated labels", labels: map[string]string{"com.example": "x"}, want: appplan.Settings{}},
		{
			name: "everything",
			labels: map[string]string{
				appplan.LabelBackup: "true", appplan.LabelStop: "false", appplan.LabelTier: "data",
				appplan.LabelGroup: " shop ", appplan.LabelDependsOn: "db, cache,,",
				appplan.LabelHookPre: `["pg_dump","-f","/x"]`, appplan.LabelHookPost: "rm -f /x",
				appplan.LabelHookUser: "postgres", appplan.LabelHookTimeout: "90s",
				appplan.LabelMaxDowntime: " 2m30s ",
			},
			want: appplan.Settings{
				Backup: appplan.True, Stop: appplan.False, Tier: appplan.TierData, Group: "shop",
				DependsOn: []string{"db", "cache"},
				HookPre:   []string{"pg_dump", "-f", "/x"}, HookPost: []string{"/bin/sh", "-c", "rm -f /x"},
				HookUser: "postgres", HookTimeout: 90 * time.Second, MaxDowntime: 150 * time.Second,
			},
		},
		{name: "bool forms", labels: map[string]string{appplan.LabelBackup: "1", appplan.LabelStop: "FALSE"},
			want: appplan.Settings{Backup: appplan.True, Stop: appplan.False}},
		{name: "pause", labels: map[string]string{appplan.LabelStop: "pause"}, want: appplan.Settings{Stop: appplan.True, Pause: true}},
		{name: "pause case", labels: map[string]string{appplan.LabelStop: "Pause"}, wantErr: `drydock.stop="Pause": want true, false or pause`},
		{name: "pause padded", labels: map[string]string{appplan.LabelStop: "pause "}, wantErr: "want true, false or pause"},
		{name: "bad bool", labels: map[string]string{appplan.LabelBackup: "yes"}, wantErr: "drydock.backup=\"yes\""},
		{name: "bad tier", labels: map[string]string{appplan.LabelTier: "gold"}, wantErr: "tier \"gold\""},
		// Nothing is guessed: only the documented spellings.
		{name: "tier case", labels: map[string]string{appplan.LabelTier: "Cache"}, wantErr: "tier \"Cache\""},
		{name: "bool True", labels: map[string]string{appplan.LabelBackup: "True"}, wantErr: "drydock.backup=\"True\""},
		{name: "bool padded", labels: map[string]string{appplan.LabelStop: " true"}, wantErr: "drydock.stop"},
		{name: "mistyped key case", labels: map[string]string{"Drydock.Backup": "true"}, wantErr: "did you mean drydock.backup"},
		{name: "unknown drydock key", labels: map[string]string{"drydock.backups": "true"}, wantErr: "not a drydock label"},
		{name: "bad timeout", labels: map[string]string{appplan.LabelHookTimeout: "-1s"}, wantErr: "drydock.hook.timeout"},
		{name: "bad max downtime", labels: map[string]string{appplan.LabelMaxDowntime: "soon"}, wantErr: `drydock.max-downtime="soon": want a positive duration`},
		{name: "zero max downtime", labels: map[string]string{appplan.LabelMaxDowntime: "0s"}, wantErr: "drydock.max-downtime"},
		{name: "max downtime without unit", labels: map[string]string{appplan.LabelMaxDowntime: "90"}, wantErr: "drydock.max-downtime"},
		{name: "bad hook json", labels: map[string]string{appplan.LabelHookPre: `["a",`}, wantErr: "drydock.hook.pre"},
		{name: "empty hook", labels: map[string]string{appplan.LabelHookPost: " "}, wantErr: "drydock.hook.post: empty command"},
		{name: "all errors at once", labels: map[string]string{appplan.LabelBackup: "x", appplan.LabelStop: "y"}, wantErr: "drydock.stop=\"y\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appplan.ParseSettings(tt.labels)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseComposeDependsOn(t *testing.T) {
	tests := []struct {
		in      string
		want    []appplan.ComposeDep
		wantErr bool
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "db", want: []appplan.ComposeDep{{Service: "db"}}},
		{in: "db:service_healthy", want: []appplan.ComposeDep{{Service: "db", Condition: "service_healthy"}}},
		{in: "db:service_started:true", want: []appplan.ComposeDep{{Service: "db", Condition: "service_started", Restart: true}}},
		{in: "db:service_healthy:false,cache:service_started:true", want: []appplan.ComposeDep{
			{Service: "db", Condition: "service_healthy"},
			{Service: "cache", Condition: "service_started", Restart: true},
		}},
		{in: "db, cache", want: []appplan.ComposeDep{{Service: "db"}, {Service: "cache"}}},
		{in: "db:a:b:c", wantErr: true},
		{in: ":service_started", wantErr: true},
		{in: "db:service_started:maybe", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := appplan.ParseComposeDependsOn(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: `["/testapp","dump","/data/x"]`, want: []string{"/testapp", "dump", "/data/x"}},
		{in: `  ["a"]  `, want: []string{"a"}},
		{in: "pg_dump -U app > /backup/db.sql", want: []string{"/bin/sh", "-c", "pg_dump -U app > /backup/db.sql"}},
		{in: "", wantErr: true},
		{in: "[]", wantErr: true},
		{in: `[""]`, wantErr: true},
		{in: `[1,2]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := appplan.ParseCommand(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseSettingsLabelSize: a drydock label past MaxLabelSize is not
// read, and its error names it without echoing it; errors about a long
// value under the limit cut it.
func TestParseSettingsLabelSize(t *testing.T) {
	big := strings.Repeat("x", appplan.MaxLabelSize+1)
	s, err := appplan.ParseSettings(map[string]string{appplan.LabelHookPre: "echo " + big, appplan.LabelGroup: "shop"})
	if err == nil || !strings.Contains(err.Error(), "label drydock.hook.pre: value of 65542 bytes, longer than the 64 KiB") || len(err.Error()) > 200 {
		t.Errorf("err %.300v, want a short error naming the label", err)
	}
	if s.HookPre != nil || s.Group != "shop" {
		t.Errorf("settings %+v: want the oversized label unread, the others read", s)
	}
	_, err = appplan.ParseSettings(map[string]string{appplan.LabelMaxDowntime: strings.Repeat("9", 60<<10)})
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "... (61440 bytes)") {
		t.Errorf("err %.500v, want the value cut", err)
	}
	if got := appplan.Clip("short"); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
}
