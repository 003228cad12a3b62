-- Reference migration 0035: a player's region (child of the country on the
-- path to the player's zone). The reference let the server name the FK; on a
-- database built by its setup that name is player_ibfk_4, so it is given here.
ALTER TABLE `player`
  ADD COLUMN `region_id` int(11) DEFAULT NULL,
  ADD KEY `player_region_id` (`region_id`),
  ADD CONSTRAINT `player_ibfk_4` FOREIGN KEY (`region_id`) REFERENCES `zone` (`id`);
