ALTER TABLE `rankstatrollup` DROP KEY `rankstatrollup_period_rank_start_end`;
