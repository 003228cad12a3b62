-- The back-fill cannot be told apart from tags recorded later; nothing to undo.
SELECT 1;
