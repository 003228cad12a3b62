ALTER TABLE `player` DROP FOREIGN KEY `player_ibfk_4`;
ALTER TABLE `player` DROP KEY `player_region_id`, DROP COLUMN `region_id`;
