-- Reference migration 0036: the club tag a player wore in a season.
ALTER TABLE `playerseason` ADD COLUMN `club_tag` varchar(64) DEFAULT NULL;
