import type { Config } from '../config';
import { Calendar, type DepartmentClock, departmentClock } from '../services/calendar';
import type { Clock } from '../services/lifecycle';

/** The department's clock for this process: the time `now` gives, on the configured calendar. */
export function clockOf(config: Config, now: () => Date = () => new Date()): DepartmentClock {
  return departmentClock(new Calendar(config.department), now);
}

/** What a decision reads of the clock: the moment, the department's date, and its calendar. */
export function workflowClock(clock: DepartmentClock, config: Config): Clock {
  return {
    now: clock.now().toISOString(),
    today: clock.today(),
    consultationDays: config.consultationBusinessDays,
    holidays: clock.calendar,
  };
}
