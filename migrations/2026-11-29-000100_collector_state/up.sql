-- mmstatus's own: what the collector jobs keep between runs (cursors) and
-- how each job fares (runs, successes, errors), for the health file and the
-- watchdog. The reference's web server never reads it. Times are naive local
-- times in MMSTATUS_TZ, like every other datetime.
CREATE TABLE `collector_state` (
  `job` varchar(64) NOT NULL,
  `cursor_int` bigint(20) DEFAULT NULL,
  `counter` int(11) NOT NULL DEFAULT 0,
  `cursor_text` varchar(64) DEFAULT NULL,
  `last_poll_at` datetime DEFAULT NULL,
  `created_at` datetime NOT NULL,
  `last_run_start` datetime DEFAULT NULL,
  `last_success` datetime DEFAULT NULL,
  `last_error_at` datetime DEFAULT NULL,
  `error_count` int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (`job`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
