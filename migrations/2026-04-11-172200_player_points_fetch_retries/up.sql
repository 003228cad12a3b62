-- Reference migration 0038. Adding a NOT NULL int column without a default
-- fills existing rows with 0 and leaves no DB default, the same end state the
-- reference reached in three steps, in one statement.
ALTER TABLE `player` ADD COLUMN `points_fetch_retries` int(11) NOT NULL;
