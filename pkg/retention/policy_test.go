package retention_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/retention"
)

// every policy with exactly one option set, by option name.
var singleOptions = map[string]retention.Policy{
	"keep-last": {Last: 1}, "keep-hourly": {Hourly: 1}, "keep-daily": {Daily: 1},
	"keep-weekly": {Weekly: 1}, "keep-monthly": {Monthly: 1}, "keep-yearly": {Yearly: 1},
	"keep-within": {Within: dur("1d")}, "keep-within-hourly": {WithinHourly: dur("1d")},
	"keep-within-daily": {WithinDaily: dur("1d")}, "keep-within-weekly": {WithinWeekly: dur("1d")},
	"keep-within-monthly": {WithinMonthly: dur("1d")}, "keep-within-yearly": {WithinYearly: dur("1d")},
	"keep-tag": {Tags: retention.TagLists{{"x"}}},
}

func TestPolicyEmpty(t *testing.T) {
	if !(retention.Policy{}).Empty() {
		t.Error("zero policy is not empty")
	}
	for name, p := range singleOptions {
		if p.Empty() {
			t.Errorf("policy with only --%s is empty", name)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("policy with only --%s: %v", name, err)
		}
	}
}

// TestPolicyValidate: every negative value is refused, naming its option.
func TestPolicyValidate(t *testing.T) {
	for name, p := range map[string]retention.Policy{
		"keep-last": {Last: -1}, "keep-hourly": {Hourly: -2}, "keep-daily": {Daily: -1},
		"keep-weekly": {Weekly: -1}, "keep-monthly": {Monthly: -1}, "keep-yearly": {Yearly: -1},
		"keep-within": {Within: dur("1y-1m")}, "keep-within-hourly": {WithinHourly: dur("-1h")},
		"keep-within-daily": {WithinDaily: dur("-1d")}, "keep-within-weekly": {WithinWeekly: dur("-1y")},
		"keep-within-monthly": {WithinMonthly: dur("-1m")}, "keep-within-yearly": {WithinYearly: dur("-1y")},
	} {
		err := p.Validate()
		if !errors.Is(err, retention.ErrInvalidPolicy) || !strings.Contains(err.Error(), "--"+name+" ") && !strings.Contains(err.Error(), "--"+name+":") {
			t.Errorf("--%s negative: %v", name, err)
		}
	}
	huge := retention.Policy{Within: retention.Duration{Hours: 1 << 62}}
	if err := huge.Validate(); !errors.Is(err, retention.ErrInvalidDuration) {
		t.Errorf("2^62 hours: %v", err)
	}
}

func TestPolicyString(t *testing.T) {
	for _, tc := range []struct {
		p    retention.Policy
		want string
	}{
		{retention.Policy{}, "keep everything (empty policy)"},
		{retention.Policy{Last: 3}, "keep last 3"},
		{retention.Policy{Last: 1, Tags: retention.TagLists{{"a", "b"}, {"c"}}}, "keep last 1, tagged [a, b] or [c]"},
		{retention.Policy{Daily: 7, Weekly: 4, WithinHourly: dur("2d"), Within: dur("1y2m")},
			"keep daily 7, weekly 4, hourly within 2d, all within 1y2m of the newest"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q\nwant        %q", got, tc.want)
		}
	}
}
