ALTER TABLE `playerseason` DROP COLUMN `club_tag`;
