ALTER TABLE `player` DROP COLUMN `points_fetch_retries`;
