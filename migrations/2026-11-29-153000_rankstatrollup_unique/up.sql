-- mmstatus's own: one rankstatrollup row per (period, rank, start_time,
-- end_time), so that rollup writers insert-if-absent (INSERT IGNORE) and
-- concurrent ones cannot double-count. The reference had no such key, so an
-- adopted database may hold duplicates: keep the lowest id of each key
-- (`migrate` reports how many rows go). MySQL commits the ALTER (and the
-- DELETE before it) at once; a run killed before the DELETE commits changes
-- nothing, one killed after it leaves no duplicate, and the probe finds the
-- key there or not.
DELETE `dup` FROM `rankstatrollup` `dup` JOIN `rankstatrollup` `kept` ON `kept`.`period` = `dup`.`period` AND `kept`.`rank` = `dup`.`rank` AND `kept`.`start_time` = `dup`.`start_time` AND `kept`.`end_time` = `dup`.`end_time` AND `kept`.`id` < `dup`.`id`;
ALTER TABLE `rankstatrollup` ADD UNIQUE KEY `rankstatrollup_period_rank_start_end` (`period`, `rank`, `start_time`, `end_time`);
