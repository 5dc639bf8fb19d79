-- A run's document is already compact (the binary format 2 of app::runs): compressing it again
-- in TOAST saved about a quarter of its size at the cost of compressing a megabyte on every
-- recorded run. Stored as it is.
ALTER TABLE execucoes ALTER COLUMN dados SET STORAGE EXTERNAL;
