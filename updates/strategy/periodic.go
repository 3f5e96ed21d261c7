package strategy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const minutesPerWeek = 7 * 24 * 60

// Window is one weekly maintenance window: it starts at Start minutes after
// Monday 00:00 (wall clock of the schedule's zone) and lasts Length minutes;
// it may cross midnight and the end of the week.
type Window struct {
	Start  int
	Length int
}

// Schedule is a set of windows in one time zone.
type Schedule struct {
	Loc     *time.Location
	Windows []Window
}

var dayIndex = map[string]int{
	"mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
	"thu": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
	"sun": 6, "sunday": 6,
}

// ParseWindows turns one [[updates.periodic.window]] entry (days, start_time
// "hh:mm", length_minutes) into one window per day.
func ParseWindows(days []string, start string, length int) ([]Window, error) {
	if len(days) == 0 {
		return nil, fmt.Errorf("maintenance window has no days; set days = [\"Sat\", \"Sun\"]")
	}
	h, m, err := parseHHMM(start)
	if err != nil {
		return nil, err
	}
	if length <= 0 || length > minutesPerWeek {
		return nil, fmt.Errorf("maintenance window length_minutes = %d; want 1 to %d", length, minutesPerWeek)
	}
	var out []Window
	for _, d := range days {
		i, ok := dayIndex[strings.ToLower(d)]
		if !ok {
			return nil, fmt.Errorf("maintenance window day %q; want Mon..Sun or Monday..Sunday", d)
		}
		out = append(out, Window{Start: i*24*60 + h*60 + m, Length: length})
	}
	return out, nil
}

func parseHHMM(s string) (h, m int, err error) {
	hs, ms, ok := strings.Cut(s, ":")
	if ok && len(hs) == 2 && len(ms) == 2 {
		h, err1 := strconv.Atoi(hs)
		m, err2 := strconv.Atoi(ms)
		if err1 == nil && err2 == nil && h >= 0 && h < 24 && m >= 0 && m < 60 {
			return h, m, nil
		}
	}
	return 0, 0, fmt.Errorf("maintenance window start_time %q; want hh:mm, e.g. \"23:30\"", s)
}

// LoadZone resolves a time_zone value: an IANA name, "localtime" (the
// system's /etc/localtime, UTC if missing) or empty (UTC, zincati's default).
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "localtime":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q is not an IANA time zone name (like \"Europe/Moscow\"): %w", name, err)
	}
	return loc, nil
}

func minuteOfWeek(t time.Time) int {
	wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
	return wd*24*60 + t.Hour()*60 + t.Minute()
}

// Contains reports whether t falls inside a window.
func (s Schedule) Contains(t time.Time) bool {
	now := minuteOfWeek(t.In(s.Loc))
	for _, w := range s.Windows {
		if (now-w.Start+minutesPerWeek)%minutesPerWeek < w.Length {
			return true
		}
	}
	return false
}

// NextStart returns the start of the next window after t (wall clock in the
// schedule's zone, so DST shifts move the instant, not the window).
func (s Schedule) NextStart(t time.Time) time.Time {
	lt := t.In(s.Loc)
	now := minuteOfWeek(lt)
	best := -1
	for _, w := range s.Windows {
		d := (w.Start - now + minutesPerWeek) % minutesPerWeek
		if d == 0 {
			d = minutesPerWeek
		}
		if best < 0 || d < best {
			best = d
		}
	}
	return time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute()+best, 0, 0, s.Loc)
}

// Periodic reboots only inside maintenance windows.
type Periodic struct {
	Deps
	Schedule Schedule
}

func (s *Periodic) Name() string { return NamePeriodic }

func (s *Periodic) ReportSteady(ctx context.Context) error { return nil }

func (s *Periodic) WaitReboot(ctx context.Context) error {
	for {
		now := s.Clock.Now()
		if s.Schedule.Contains(now) {
			return nil
		}
		next := s.Schedule.NextStart(now)
		s.Log.Info("reboot waits for the next maintenance window", "at", next.Format(time.RFC3339))
		if err := s.Clock.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
}
