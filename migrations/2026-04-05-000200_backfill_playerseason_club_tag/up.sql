-- Reference migration 0037: seed every season's club tag from the player's
-- current tag where none was recorded yet. Data only, so it is transactional.
UPDATE `playerseason`
  JOIN `player` ON `player`.`uuid` = `playerseason`.`player_id`
  SET `playerseason`.`club_tag` = `player`.`club_tag`
  WHERE `playerseason`.`club_tag` IS NULL;
