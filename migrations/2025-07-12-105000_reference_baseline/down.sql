DROP TABLE `rankstatrollup`;
DROP TABLE `playerseason`;
DROP TABLE `season`;
DROP TABLE `playergame`;
DROP TABLE `player`;
DROP TABLE `game`;
DROP TABLE `zone`;
DROP TABLE `map`;
